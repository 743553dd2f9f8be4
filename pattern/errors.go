package pattern

// Error is a rejected pattern or filter policy. Message is the full text AWS
// returns for it; Reason is the part after AWS's fixed prefix, so callers can
// reword the envelope (for example as EventBridge's
// InvalidEventPatternException or SNS's InvalidParameter) without parsing.
type Error struct {
	Message string
	Reason  string
}

func (e *Error) Error() string { return e.Message }

// eventPatternPrefix is how EventBridge starts every InvalidEventPatternException message.
const eventPatternPrefix = "Event pattern is not valid. Reason: "

// filterPolicyPrefix is how SNS starts an InvalidParameter message about a filter policy.
const filterPolicyPrefix = "Invalid parameter: FilterPolicy: "

// reasonError carries a reason through compilation; the public entry points
// wrap it with the dialect's prefix.
type reasonError string

func (r reasonError) Error() string { return string(r) }

func fail(reason string) error { return reasonError(reason) }

func wrapPattern(err error) error {
	if r, ok := err.(reasonError); ok {
		return &Error{Message: eventPatternPrefix + string(r), Reason: string(r)}
	}
	return err
}
