//go:build !unix

package main

import (
	"context"
	"net"
	"os"
)

// listenPrivate listens on a Unix socket at path and narrows its mode to
// 0600 (there is no umask here).
func listenPrivate(ctx context.Context, path string) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}
