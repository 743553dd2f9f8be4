package sigv4

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
)

// maxCachedKeys bounds the derived-key cache. Keys change daily, so when
// it fills it is simply emptied rather than tracked for least recent use.
const maxCachedKeys = 4096

// keyCache holds derived signing keys. Entries are indexed by a hash of
// secret, date, region and service, so the cache holds no secret in a form
// that can be read back.
type keyCache struct {
	mu   sync.Mutex
	keys map[[sha256.Size]byte][]byte
}

var derivedKeys = keyCache{keys: make(map[[sha256.Size]byte][]byte)}

// signingKey returns HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region),
// service), "aws4_request"), from the cache when it can.
func signingKey(secret, date, region, service string) []byte {
	id := cacheID(secret, date, region, service)
	derivedKeys.mu.Lock()
	k, ok := derivedKeys.keys[id]
	derivedKeys.mu.Unlock()
	if ok {
		return k
	}
	k = sign([]byte("AWS4"+secret), date)
	k = sign(k, region)
	k = sign(k, service)
	k = sign(k, terminator)
	derivedKeys.mu.Lock()
	if len(derivedKeys.keys) >= maxCachedKeys {
		clear(derivedKeys.keys)
	}
	derivedKeys.keys[id] = k
	derivedKeys.mu.Unlock()
	return k
}

// cacheID length-prefixes each field so that no two distinct tuples hash
// the same input.
func cacheID(fields ...string) [sha256.Size]byte {
	h := sha256.New()
	var n [8]byte
	for _, f := range fields {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	var id [sha256.Size]byte
	h.Sum(id[:0])
	return id
}
