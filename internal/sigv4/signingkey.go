package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"sync"
)

// signingKey is a derived SigV4 signing key, kept as its two HMAC pads so
// that signing a string costs two SHA-256 sums and no allocation.
type signingKey struct {
	ipad, opad [sha256.BlockSize]byte
}

// deriveSigningKey computes
//
//	kDate    = HMAC("AWS4"+secret, date)
//	kRegion  = HMAC(kDate, region)
//	kService = HMAC(kRegion, service)
//	kSigning = HMAC(kService, "aws4_request")
func deriveSigningKey(secret, date, region, service string) *signingKey {
	k := hmacSum([]byte("AWS4"+secret), date)
	k = hmacSum(k, region)
	k = hmacSum(k, service)
	k = hmacSum(k, terminator)
	var sk signingKey
	for i := range sk.ipad {
		var b byte
		if i < len(k) {
			b = k[i]
		}
		sk.ipad[i] = b ^ 0x36
		sk.opad[i] = b ^ 0x5c
	}
	return &sk
}

func hmacSum(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// mac returns HMAC-SHA256(k, msg). scratch is working space; mac returns it,
// grown if it had to be, for the caller to reuse.
func (k *signingKey) mac(scratch, msg []byte) ([sha256.Size]byte, []byte) {
	scratch = append(scratch[:0], k.ipad[:]...)
	scratch = append(scratch, msg...)
	inner := sha256.Sum256(scratch)
	scratch = append(scratch[:0], k.opad[:]...)
	scratch = append(scratch, inner[:]...)
	return sha256.Sum256(scratch), scratch
}

// keyCacheSize bounds the signing keys a Verifier remembers. A key is valid
// for one day and region, so a handful of access keys needs only a few.
const keyCacheSize = 256

type keyCacheKey struct{ secret, date, region string }

// keyCache remembers derived signing keys per (secret, date, region). It is
// safe for concurrent use. When full it forgets an arbitrary entry.
type keyCache struct {
	mu   sync.RWMutex
	keys map[keyCacheKey]*signingKey
}

// get returns the signing key for secret, date and region, deriving and
// remembering it when it is not cached.
func (c *keyCache) get(secret, date, region, service string) *signingKey {
	ck := keyCacheKey{secret, date, region}
	c.mu.RLock()
	k, ok := c.keys[ck]
	c.mu.RUnlock()
	if ok {
		return k
	}
	k = deriveSigningKey(secret, date, region, service)
	// date and region are substrings of a request header: copy them so the
	// cache does not keep the request alive.
	ck = keyCacheKey{secret, strings.Clone(date), strings.Clone(region)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil {
		c.keys = make(map[keyCacheKey]*signingKey)
	}
	if len(c.keys) >= keyCacheSize {
		for old := range c.keys {
			delete(c.keys, old)
			break
		}
	}
	c.keys[ck] = k
	return k
}
