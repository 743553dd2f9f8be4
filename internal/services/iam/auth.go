package iam

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/identity"
	"github.com/vigilsec/vigil/internal/sigv4"
	"github.com/vigilsec/vigil/internal/store"
)

// The front door's hooks: resolving keys, the root key, and key use.

// cachedKey is an active key resolved to its principal.
type cachedKey struct {
	p   identity.Principal
	key sigv4.Key
}

// keyCache holds active keys between changes. Every write empties it; the
// generation stops a lookup that read the database before a write from
// caching what it read after the write emptied the cache.
type keyCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[string]cachedKey
}

func (c *keyCache) get(id string) (cachedKey, bool, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.m[id]
	return k, ok, c.gen
}

func (c *keyCache) put(id string, k cachedKey, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.m[id] = k
	}
}

func (c *keyCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
}

// LookupKey returns the principal owning an active access key and the
// key's secret, or ok=false when the key is unknown or inactive. Temporary
// keys (ASIA...) from AssumeRole resolve to their assumed-role session,
// with the session token and expiry that sigv4.Verify checks.
func (s *Service) LookupKey(ctx context.Context, accessKeyID string) (identity.Principal, sigv4.Key, bool, error) {
	if accessKeyID == "" || len(accessKeyID) > accessKeyIDRule.max {
		return identity.Principal{}, sigv4.Key{}, false, nil
	}
	c, ok, gen := s.keys.get(accessKeyID)
	if ok {
		return clonePrincipal(c.p), c.key, true, nil
	}
	if err := s.init(ctx); err != nil {
		return identity.Principal{}, sigv4.Key{}, false, err
	}
	if strings.HasPrefix(accessKeyID, "ASIA") {
		c, ok, err := s.lookupSession(ctx, accessKeyID)
		if err != nil || !ok {
			return identity.Principal{}, sigv4.Key{}, false, err
		}
		s.keys.put(accessKeyID, c, gen)
		return clonePrincipal(c.p), c.key, true, nil
	}
	k, ok, err := keyByID(ctx, s.env.DB.Read(), accessKeyID)
	if err != nil || !ok || k.status != statusActive {
		return identity.Principal{}, sigv4.Key{}, false, err
	}
	c = cachedKey{key: sigv4.Key{Secret: k.secret}}
	if k.userID == "" {
		c.p = identity.Principal{Type: identity.Root, ARN: s.rootARN(), AccountID: s.env.AccountID,
			PrincipalID: s.env.AccountID, AccessKeyID: k.id}
	} else {
		u, found, err := userByID(ctx, s.env.DB.Read(), k.userID)
		if err != nil || !found {
			return identity.Principal{}, sigv4.Key{}, false, err
		}
		c.p = identity.Principal{Type: identity.IAMUser, ARN: s.userARN(u.path, u.name), AccountID: s.env.AccountID,
			UserName: u.name, PrincipalID: u.id, AccessKeyID: k.id, Tags: tagMap(u.tags)}
	}
	s.keys.put(accessKeyID, c, gen)
	return clonePrincipal(c.p), c.key, true, nil
}

// clonePrincipal copies the tag map, so a caller cannot change the cache.
func clonePrincipal(p identity.Principal) identity.Principal {
	p.Tags = maps.Clone(p.Tags)
	return p
}

func tagMap(tags []Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

// EnsureRootKey returns the account root user's access key, creating it
// on first start (created=true). If every root key has since been deleted
// or deactivated, it creates a new one too, so that the operator is not
// locked out of a server that has no console.
func (s *Service) EnsureRootKey(ctx context.Context) (akid, secret string, created bool, err error) {
	if err := s.init(ctx); err != nil {
		return "", "", false, err
	}
	err = s.write(ctx, func(tx *store.Tx) error {
		now := s.now()
		if _, err := accountCreated(ctx, tx, now); err != nil {
			return err
		}
		keys, err := keysOf(ctx, tx, "")
		if err != nil {
			return err
		}
		for _, k := range keys {
			if k.status == statusActive {
				akid, secret = k.id, k.secret
				return nil
			}
		}
		if len(keys) > 0 {
			s.env.Log.Warn("iam: the root user has no active access key; creating one")
		}
		k := newKey("", now)
		if err := insertKey(ctx, tx, k); err != nil {
			return err
		}
		akid, secret, created = k.id, k.secret, true
		return nil
	})
	if err != nil {
		return "", "", false, fmt.Errorf("ensure root access key: %w", err)
	}
	return akid, secret, created, nil
}

// NoteKeyUse records that an access key signed a call to service in
// region at a time. It only touches memory; the record reaches the
// database within a few seconds, or at once when GetAccessKeyLastUsed asks.
func (s *Service) NoteKeyUse(accessKeyID, service, region string, at time.Time) {
	if accessKeyID == "" {
		return
	}
	s.usesMu.Lock()
	defer s.usesMu.Unlock()
	if prev, ok := s.uses[accessKeyID]; ok && prev.at.After(at) {
		return
	}
	s.uses[accessKeyID] = keyUse{at: at, service: service, region: region}
}

// Flush writes recorded key uses to the database.
func (s *Service) Flush(ctx context.Context) error {
	s.usesMu.Lock()
	pending := s.uses
	if len(pending) == 0 {
		s.usesMu.Unlock()
		return nil
	}
	s.uses = map[string]keyUse{}
	s.usesMu.Unlock()
	err := s.init(ctx)
	if err == nil {
		err = s.env.DB.Write(ctx, func(tx *store.Tx) error { return saveKeyUses(ctx, tx, pending) })
	}
	if err != nil {
		// Put them back for the next try, unless a newer use came in meanwhile.
		s.usesMu.Lock()
		for id, u := range pending {
			if cur, ok := s.uses[id]; !ok || cur.at.Before(u.at) {
				s.uses[id] = u
			}
		}
		s.usesMu.Unlock()
		return fmt.Errorf("flush access key use: %w", err)
	}
	return nil
}
