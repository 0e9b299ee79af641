package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/moimbot/moimbot/internal/browsertest"
	"github.com/moimbot/moimbot/openbanking/testbed"
)

// TestLinkInRealBrowser follows the treasurer's link in headless Chromium:
// moimbot's link page, the simulator's consent page (the 모임통장 ticked,
// 동의) and back to moimbot's page saying consent was received; the
// treasurer is then asked by DM which account is the group's.
func TestLinkInRealBrowser(t *testing.T) {
	env := newLinkEnv(t)
	link := env.setupLink()

	ctx := browsertest.Start(t, 60*time.Second)

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
	if !env.dmContains("어느 계좌가 모임통장인가요?") {
		t.Error("the treasurer was not asked which account is the group's")
	}
}
