package server

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/moimbot/moimbot/openbanking/testbed"
)

// browserPath returns a Chromium binary. Without one the test skips,
// unless MOIMBOT_BROWSER_TESTS=require (set by .ci/run once it installed
// Chromium), when it fails.
func browserPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("MOIMBOT_BROWSER_TESTS") == "require" {
		t.Fatal("no Chromium found, but MOIMBOT_BROWSER_TESTS=require")
	}
	t.Skip("no Chromium found: install it to run the browser test (Debian: apt-get install chromium)")
	return ""
}

// TestLinkInRealBrowser follows the treasurer's link in headless Chromium:
// moimbot's link page, the simulator's consent page (the 모임통장 ticked,
// 동의) and back to moimbot's page saying consent was received; the
// treasurer is then asked by DM which account is the group's.
func TestLinkInRealBrowser(t *testing.T) {
	chromium := browserPath(t)
	env := newLinkEnv(t)
	link := env.setupLink()

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
	defer cancelAlloc()
	browser, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	// The first call starts the browser, which lives as long as that
	// call's context: it gets no timeout; the steps do.
	if err := chromedp.Do(browser, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start browser: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(browser, 60*time.Second)
	defer cancelTimeout()

	if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitVisible(`button[type="submit"]`)); err != nil {
		t.Fatalf("open the link page: %v", err)
	}
	page, err := chromedp.Run(ctx, chromedp.Text("body"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"우리 독서모임", "읽기만 하며 돈을 옮길 수 없습니다"} {
		if !strings.Contains(page, want) {
			t.Errorf("link page lacks %q:\n%s", want, page)
		}
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(`button[type="submit"]`),
		chromedp.WaitVisible(`button[value="agree"]`),
	); err != nil {
		t.Fatalf("go to the bank's consent page: %v", err)
	}
	consent, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	// Untick the personal account; agree.
	if err := chromedp.Do(ctx,
		chromedp.Click(`input[name="account"][value="`+testbed.DemoPersonalAccountID+`"]`),
		chromedp.Click(`button[value="agree"]`),
		chromedp.WaitVisible(`h1`),
	); err != nil {
		t.Fatalf("agree: %v", err)
	}
	var done string
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(done, "동의를 받았습니다") && time.Now().Before(deadline) {
		if done, err = chromedp.Run(ctx, chromedp.Text("body")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(done, "동의를 받았습니다") {
		t.Fatalf("the browser did not come back to moimbot's success page:\n%s", done)
	}
	if dir := os.Getenv("MOIMBOT_SCREENSHOT_DIR"); dir != "" {
		os.WriteFile(filepath.Join(dir, "link-consent.png"), consent, 0o644)
		if shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(filepath.Join(dir, "link-done.png"), shot, 0o644)
		}
	}
	asked := false
	for _, m := range env.dms() {
		asked = asked || strings.Contains(m.Text, "어느 계좌가 모임통장인가요?")
	}
	if !asked {
		t.Error("the treasurer was not asked which account is the group's")
	}
}
