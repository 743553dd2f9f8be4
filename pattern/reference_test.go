package pattern

// The reference evaluator: the language's semantics written as directly as
// possible (backtracking over the choice of values), against which the
// automaton and the production evaluator are checked.

// refEvalRule is the reference semantics of one rule against an event's
// values: each field needs a value satisfying one of its conditions (or, for
// exists:false, no value at all), and the chosen values must be
// array-consistent with each other.
func refEvalRule(r *rule, byPath map[string][]*leaf) bool {
	chosen := make([]*leaf, 0, len(r.fields))
	var try func(i int) bool
	try = func(i int) bool {
		if i == len(r.fields) {
			return true
		}
		f := &r.fields[i]
		vals := byPath[f.path]
		if len(vals) == 0 {
			for j := range f.conds {
				if f.conds[j].op == opAbsent {
					return try(i + 1)
				}
			}
			return false
		}
		for _, l := range vals {
			ok := true
			for _, prev := range chosen {
				if !consistent(prev.trail, l.trail) {
					ok = false
					break
				}
			}
			if !ok {
				continue
			}
			for j := range f.conds {
				if matchValue(&f.conds[j], l) {
					chosen = append(chosen, l)
					if try(i + 1) {
						return true
					}
					chosen = chosen[:len(chosen)-1]
					break
				}
			}
		}
		return false
	}
	return try(0)
}

// refEvalPattern reports whether a compiled pattern matches a flattened event.
func refEvalPattern(c *compiled, leaves []leaf) bool {
	byPath := make(map[string][]*leaf, len(leaves))
	for i := range leaves {
		l := &leaves[i]
		byPath[l.path] = append(byPath[l.path], l)
	}
	for i := range c.rules {
		if refEvalRule(&c.rules[i], byPath) {
			return true
		}
	}
	return false
}
