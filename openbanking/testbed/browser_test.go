package testbed_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/moimbot/moimbot/internal/browsertest"
	"github.com/moimbot/moimbot/openbanking/testbed"
)

// callbackRecorder is the institution's redirect URI: it records the queries it
// receives and answers with a small page.
type callbackRecorder struct {
	mu      sync.Mutex
	queries []url.Values
}

func (c *callbackRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/oauth/callback" {
		http.NotFound(w, r) // the browser also asks for /favicon.ico
		return
	}
	c.mu.Lock()
	c.queries = append(c.queries, r.URL.Query())
	c.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(`<!doctype html><title>callback</title><p id="done">received</p>`))
}

func (c *callbackRecorder) last() url.Values {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queries) == 0 {
		return nil
	}
	return c.queries[len(c.queries)-1]
}

// TestConsentPageInBrowser drives the consent page in headless Chromium the way
// a person does: it reads the page, unticks one of the two accounts, presses
// 동의, and lands on the callback with a code that registers only the ticked
// account; then it presses 취소 and lands on the callback with access_denied.
func TestConsentPageInBrowser(t *testing.T) {
	ctx := browsertest.Start(t, 60*time.Second)

	cb := &callbackRecorder{}
	cbSrv := httptest.NewServer(cb)
	defer cbSrv.Close()
	redirect := cbSrv.URL + "/oauth/callback"

	sim := testbed.New(testbed.Config{RateLimit: -1, NoMaintenance: true})
	inst, err := sim.AddInstitution(testbed.Institution{Name: "모임봇", RedirectURIs: []string{redirect}})
	if err != nil {
		t.Fatal(err)
	}
	user, err := sim.AddUser(testbed.User{Name: "김총무"})
	if err != nil {
		t.Fatal(err)
	}
	group, err := sim.AddAccount(testbed.Account{UserSeqNo: user.UserSeqNo, BankCodeStd: "090", AccountNum: "3333-01-2345678", Alias: "독서모임 모임통장"})
	if err != nil {
		t.Fatal(err)
	}
	personal, err := sim.AddAccount(testbed.Account{UserSeqNo: user.UserSeqNo, BankCodeStd: "088", AccountNum: "110-123-456789"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()

	authorize := func(state string) string {
		return srv.URL + "/oauth/2.0/authorize?" + url.Values{
			"response_type": {"code"}, "client_id": {inst.ClientID}, "redirect_uri": {redirect},
			"scope": {"login inquiry"}, "state": {state}, "auth_type": {"0"}, "client_info": {"group-7"},
		}.Encode()
	}

	const agreeState = "AGREEagreeAGREEagreeAGREEagree01"
	if err := chromedp.Do(ctx,
		chromedp.Navigate(authorize(agreeState)),
		chromedp.WaitVisible(`button[value="agree"]`),
	); err != nil {
		t.Fatalf("open consent page: %v", err)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	body, err := chromedp.Run(ctx, chromedp.Text("main"))
	if err != nil {
		t.Fatal(err)
	}
	screenshot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	// Untick the personal account so only the 모임통장 is registered, then agree.
	if err := chromedp.Do(ctx,
		chromedp.Click(`input[name="account"][value="`+personal.ID+`"]`),
		chromedp.Click(`button[value="agree"]`),
		chromedp.WaitVisible(`#done`),
	); err != nil {
		t.Fatalf("agree: %v", err)
	}
	if dir := os.Getenv("MOIMBOT_SCREENSHOT_DIR"); dir != "" {
		os.WriteFile(filepath.Join(dir, "consent.png"), screenshot, 0o644)
	}
	for _, want := range []string{"김총무", "모임봇", "독서모임 모임통장", "동의", "취소"} {
		if !strings.Contains(body, want) {
			t.Errorf("consent page lacks %q; text:\n%s", want, body)
		}
	}
	if title == "" {
		t.Error("consent page has no title")
	}
	q := cb.last()
	if q.Get("state") != agreeState || q.Get("client_info") != "group-7" || q.Get("code") == "" || q.Get("scope") == "" {
		t.Fatalf("callback query = %v, want code, scope, state and client_info", q)
	}

	// The code is good at the token endpoint and registered only the ticked
	// account.
	resp, err := http.PostForm(srv.URL+"/oauth/2.0/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "client_id": {inst.ClientID},
		"client_secret": {inst.ClientSecret}, "redirect_uri": {redirect},
	})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		UserSeqNo   string `json:"user_seq_no"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("token exchange: %v %+v", err, tok)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v2.0/account/list?"+url.Values{
		"user_seq_no": {tok.UserSeqNo}, "include_cancel_yn": {"N"}, "sort_order": {"D"}}.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		RspCode string `json:"rsp_code"`
		ResList []struct {
			BankCodeStd  string `json:"bank_code_std"`
			AccountAlias string `json:"account_alias"`
		} `json:"res_list"`
	}
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil || list.RspCode != "A0000" {
		t.Fatalf("account list: %v %+v", err, list)
	}
	if len(list.ResList) != 1 || list.ResList[0].BankCodeStd != group.BankCodeStd {
		t.Errorf("registered accounts = %+v, want only the 모임통장", list.ResList)
	}

	const cancelState = "CANCELcancelCANCELcancelCANCEL02"
	err = chromedp.Do(ctx,
		chromedp.Navigate(authorize(cancelState)),
		chromedp.WaitVisible(`button[value="cancel"]`),
		chromedp.Click(`button[value="cancel"]`),
		chromedp.WaitVisible(`#done`),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	q = cb.last()
	if q.Get("error") != "access_denied" || q.Get("state") != cancelState || q.Get("code") != "" {
		t.Errorf("callback after 취소 = %v, want error=access_denied with the state", q)
	}
}
