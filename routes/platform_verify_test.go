package routes

import (
	"testing"
	"time"
)

func TestCallerCacheExpiry(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	cache := newCallerCache(time.Minute, 10, func() time.Time { return now })
	key := credentialHash{1}

	if cache.contains(key) {
		t.Fatal("an empty cache contains a key")
	}
	cache.add(key)
	now = now.Add(59 * time.Second)
	if !cache.contains(key) {
		t.Error("the key expired before its TTL")
	}
	now = now.Add(time.Second)
	if cache.contains(key) {
		t.Error("the key outlived its TTL")
	}
}

func TestCallerCacheBounded(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	cache := newCallerCache(time.Minute, 3, func() time.Time { return now })

	for i := range 3 {
		cache.add(credentialHash{byte(i)})
		now = now.Add(time.Second)
	}
	cache.add(credentialHash{3})

	if got := len(cache.expires); got != 3 {
		t.Errorf("the cache holds %d keys, want at most 3", got)
	}
	if cache.contains(credentialHash{0}) {
		t.Error("the key that expires first is still there")
	}
	for i := 1; i <= 3; i++ {
		if !cache.contains(credentialHash{byte(i)}) {
			t.Errorf("key %d was dropped, want only the oldest dropped", i)
		}
	}

	// Once every key has expired, a new one replaces them all.
	now = now.Add(2 * time.Minute)
	cache.add(credentialHash{4})
	if got := len(cache.expires); got != 1 {
		t.Errorf("the cache holds %d keys after they all expired, want 1", got)
	}
}
