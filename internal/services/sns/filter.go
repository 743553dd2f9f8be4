package sns

import (
	"errors"
	"sync"

	"github.com/vigilsec/vigil/internal/awsproto"
	"github.com/vigilsec/vigil/pattern"
)

// filterCache keeps compiled filter policies, keyed by scope and text, so
// that Publish does not recompile a subscription's policy for every message.
type filterCache struct {
	mu sync.Mutex
	m  map[string]*pattern.FilterPolicy
}

// maxCachedFilters bounds the cache; when full it is simply emptied.
const maxCachedFilters = 4096

func scopeOf(attrs map[string]string) pattern.FilterPolicyScope {
	if attrs["FilterPolicyScope"] == string(pattern.ScopeMessageBody) {
		return pattern.ScopeMessageBody
	}
	return pattern.ScopeMessageAttributes
}

func (c *filterCache) compile(policy string, scope pattern.FilterPolicyScope) (*pattern.FilterPolicy, error) {
	key := string(scope) + "\x00" + policy
	c.mu.Lock()
	p, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := pattern.CompileFilterPolicy([]byte(policy), scope)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedFilters {
		c.m = map[string]*pattern.FilterPolicy{}
	}
	c.m[key] = p
	c.mu.Unlock()
	return p, nil
}

// check validates a filter policy for scope, answering as SNS does;
// reason is the prefix Subscribe puts before the policy's complaint.
func (c *filterCache) check(policy string, scope pattern.FilterPolicyScope, reason string) *awsproto.Error {
	_, err := c.compile(policy, scope)
	if err == nil {
		return nil
	}
	var pe *pattern.Error
	if errors.As(err, &pe) {
		return invalid("%s%s", reason, pe.Reason)
	}
	return invalid("%sFilterPolicy: %v", reason, err)
}

// matches reports whether a subscription's filter policy lets msg through.
func (s *Service) matches(sub *subscription, msg *storedMessage) bool {
	policy := sub.Attrs["FilterPolicy"]
	if policy == "" {
		return true
	}
	p, err := s.filters.compile(policy, scopeOf(sub.Attrs))
	if err != nil {
		// Stored policies were validated; one that no longer compiles
		// filters everything out rather than flooding the subscriber.
		s.log.Warn("stored filter policy does not compile", "subscription", sub.ARN, "err", err)
		return false
	}
	if p.Scope() == pattern.ScopeMessageBody {
		return p.MatchBody([]byte(msg.messageFor(sub.Protocol)))
	}
	attrs := make(map[string]pattern.MessageAttribute, len(msg.Attrs))
	for _, a := range msg.Attrs {
		attrs[a.Name] = pattern.MessageAttribute{DataType: a.Type, StringValue: a.Value}
	}
	return p.MatchAttributes(attrs)
}
