package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/moimbot/moimbot/store"
)

// testbedKeyFile is where serve --testbed keeps the token encryption key it
// made itself when none was given: beside the database.
func testbedKeyFile(db string) string { return db + ".testbed-key" }

// testbedKey returns the key of serve --testbed when no key is configured:
// the one in testbedKeyFile(db), made there (mode 0600) at the first start.
// made reports that it was just made.
//
// The simulator's tokens protect nothing, so a key beside the database is
// good enough there, and lets `serve --testbed` start with nothing but a
// data directory (a container's first start). A real deployment must keep
// its key apart from the database and its backups; serve without
// --testbed never makes one.
func testbedKey(db string) (key *store.Cipher, path string, made bool, err error) {
	path = testbedKeyFile(db)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case errors.Is(err, fs.ErrExist):
		key, err = store.KeyFromFile(path)
		return key, path, false, err
	case err != nil:
		return nil, path, false, fmt.Errorf("testbed key: %w", err)
	}
	_, werr := fmt.Fprintln(f, store.NewKey())
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return nil, path, false, fmt.Errorf("testbed key: %w", werr)
	}
	key, err = store.KeyFromFile(path)
	return key, path, true, err
}

// useTestbedKey is testbedKey for serve, which says where the key is.
func useTestbedKey(e env, db string) (*store.Cipher, error) {
	key, path, made, err := testbedKey(db)
	if err != nil {
		return nil, err
	}
	verb := "uses"
	if made {
		verb = "made"
	}
	fmt.Fprintf(e.stdout, "--testbed without %s: moimbot %s the token encryption key %s (good for the simulator only)\n",
		store.EnvSecretKey, verb, path)
	return key, nil
}
