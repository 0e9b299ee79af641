// Package browsertest starts headless Chromium for the project's browser
// tests, through chromedp. Only tests import it.
//
// Without a Chromium binary the test skips, saying how to install one,
// unless MOIMBOT_BROWSER_TESTS=require (set by .ci/run once it has
// installed Chromium), when it fails.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path returns a Chromium or Chrome binary, or skips (or fails) t.
func Path(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("MOIMBOT_BROWSER_TESTS") == "require" {
		t.Fatal("no Chromium found, but MOIMBOT_BROWSER_TESTS=require")
	}
	t.Skip("no Chromium found: install it to run the browser tests (Debian: apt-get install chromium)")
	return ""
}

// Start starts a headless browser for t, with a fresh profile and none of
// Chromium's background connections (the machine's network is closed),
// and returns a context for chromedp actions that ends after timeout. The
// browser stops when t ends.
func Start(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	chromium := Path(t)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
	)
	t.Cleanup(cancelAlloc)
	browser, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	// The first call starts the browser, which lives as long as that
	// call's context: it gets no timeout; the steps do.
	if err := chromedp.Do(browser, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start browser: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(browser, timeout)
	t.Cleanup(cancelTimeout)
	return ctx
}
