//go:build unix

package main

import (
	"context"
	"net"
	"sync"
	"syscall"
)

// umaskMu serialises the process-wide umask change below.
var umaskMu sync.Mutex

// listenPrivate listens on a Unix socket at path that only this user can
// connect to: the socket is created with mode 0600 (umask 0177 while it is
// bound), so it is never reachable with a wider mode.
func listenPrivate(ctx context.Context, path string) (net.Listener, error) {
	umaskMu.Lock()
	defer umaskMu.Unlock()
	old := syscall.Umask(0o177)
	defer syscall.Umask(old)
	var lc net.ListenConfig
	return lc.Listen(ctx, "unix", path)
}
