package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/openbanking"
	"github.com/moimbot/moimbot/openbanking/testbed"
	"github.com/moimbot/moimbot/store"
)

// linkEnv is moimbot with its HTTP handler on a loopback server, the
// simulator's institution registered with that server's callback, and a
// chat group with no moimbot group yet.
type linkEnv struct {
	t      testing.TB
	ctx    context.Context
	clock  *testbed.Clock
	sim    *testbed.Server
	party  testbed.Demo
	bank   *httptest.Server
	web    *httptest.Server
	db     *store.DB
	eng    *Engine
	r      *Router
	next   int
	client *http.Client // a browser that does not follow redirects
}

var (
	linkChat      = bot.ChatRef{Platform: "test", ID: "-100"}
	linkTreasurer = bot.User{Platform: "test", ID: "7", Name: "김총무"}
)

func newLinkEnv(t testing.TB) *linkEnv {
	t.Helper()
	env := &linkEnv{t: t, ctx: t.Context(), clock: testbed.NewClock(loopStart)}
	var handler http.Handler = http.NotFoundHandler()
	env.web = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(env.web.Close)
	callback := env.web.URL + "/oauth/callback"
	env.sim = testbed.New(testbed.Config{Clock: env.clock, RateLimit: -1})
	var err error
	if env.party, err = testbed.SeedDemoAccounts(env.sim, []string{callback}); err != nil {
		t.Fatal(err)
	}
	env.bank = httptest.NewServer(env.sim)
	t.Cleanup(env.bank.Close)
	key, err := store.ParseKey(store.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	env.db, err = store.Open(env.ctx, filepath.Join(t.TempDir(), "moimbot.db"), store.Options{NoSync: true, Now: env.clock.Now, Cipher: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.db.Close() })
	client, calls, err := NewBankClient(openbanking.Config{BaseURL: env.bank.URL, ClientID: env.party.Institution.ClientID,
		ClientSecret: env.party.Institution.ClientSecret, ClientUseCode: env.party.Institution.ClientUseCode,
		RedirectURI: callback, Now: env.clock.Now, Sequence: env.db})
	if err != nil {
		t.Fatal(err)
	}
	env.eng = New(Config{DB: env.db, Client: client, Calls: calls, Now: env.clock.Now, PublicURL: env.web.URL + "/"})
	env.r = env.eng.Router()
	handler = env.eng.HTTPHandler()
	env.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return env
}

// say sends text from the treasurer in the chat group and returns every
// message it queued.
func (env *linkEnv) say(from bot.User, text string) []store.Message {
	env.t.Helper()
	env.next++
	u := bot.Update{ID: "test:" + strconv.Itoa(env.next), Chat: linkChat, Title: "우리 독서모임", From: from, Text: text}
	env.r.HandleUpdate(env.ctx, u)
	return env.queued("reply/" + u.ID + "/")
}

func (env *linkEnv) queued(prefix string) []store.Message {
	env.t.Helper()
	all, err := env.db.Messages(env.ctx, 0)
	if err != nil {
		env.t.Fatal(err)
	}
	var out []store.Message
	for _, m := range all {
		if strings.HasPrefix(m.Key, prefix) {
			out = append(out, m)
		}
	}
	return out
}

// dms returns the texts queued to the treasurer's DM.
func (env *linkEnv) dms() []store.Message {
	env.t.Helper()
	all, err := env.db.Messages(env.ctx, 0)
	if err != nil {
		env.t.Fatal(err)
	}
	var out []store.Message
	for _, m := range all {
		if m.Chat.ID == linkTreasurer.ID {
			out = append(out, m)
		}
	}
	return out
}

// dmContains reports whether a message queued to the treasurer's DM
// contains sub.
func (env *linkEnv) dmContains(sub string) bool {
	env.t.Helper()
	for _, m := range env.dms() {
		if strings.Contains(m.Text, sub) {
			return true
		}
	}
	return false
}

// get fetches path (or a full URL) on moimbot's server.
func (env *linkEnv) get(u string) (int, string, *http.Response) {
	env.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = env.web.URL + u
	}
	resp, err := env.client.Get(u)
	if err != nil {
		env.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp
}

func (env *linkEnv) post(u string) (int, string, *http.Response) {
	env.t.Helper()
	resp, err := env.client.Post(u, "application/x-www-form-urlencoded", nil)
	if err != nil {
		env.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp
}

// setupLink runs /setup and returns the link the treasurer got by DM.
func (env *linkEnv) setupLink() string {
	env.t.Helper()
	replies := env.say(linkTreasurer, "/setup")
	if len(replies) != 2 {
		env.t.Fatalf("/setup queued %d messages, want the group's answer and the DM", len(replies))
	}
	return env.linkIn(replies[1].Text)
}

func (env *linkEnv) linkIn(text string) string {
	env.t.Helper()
	for _, f := range strings.Fields(text) {
		if strings.HasPrefix(f, env.web.URL+"/link/") {
			return f
		}
	}
	env.t.Fatalf("no link in %q", text)
	return ""
}

// consent opens the link, starts the consent and answers the bank's page;
// it returns the callback URL the bank redirects to.
func (env *linkEnv) consent(link string, agree bool) string {
	env.t.Helper()
	code, body, resp := env.get(link)
	if code != http.StatusOK || !strings.Contains(body, "<form method=\"post\"") {
		env.t.Fatalf("link page: %d\n%s", code, body)
	}
	// The one-time link must not leak through a Referer, a cache or a frame.
	for h, want := range map[string]string{"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Frame-Options": "DENY"} {
		if got := resp.Header.Get(h); got != want {
			env.t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	code, _, resp = env.post(link)
	if code != http.StatusSeeOther {
		env.t.Fatalf("starting the consent answered %d", code)
	}
	auth := resp.Header.Get("Location")
	au, err := url.Parse(auth)
	if err != nil || !strings.HasPrefix(auth, env.bank.URL+"/oauth/2.0/authorize") {
		env.t.Fatalf("redirect to %q, want the bank's authorize", auth)
	}
	if st := au.Query().Get("state"); len(st) != openbanking.StateLength {
		env.t.Errorf("state %q has %d characters, want %d", st, len(st), openbanking.StateLength)
	}
	cb, err := testbed.Consent(env.ctx, env.bank.Client(), auth, env.party.User.UserSeqNo,
		[]string{testbed.DemoGroupAccountID, testbed.DemoPersonalAccountID}, agree)
	if err != nil {
		env.t.Fatal(err)
	}
	return cb.String()
}

func (env *linkEnv) group() store.Group {
	env.t.Helper()
	gs, err := env.db.Groups(env.ctx)
	if err != nil || len(gs) != 1 {
		env.t.Fatalf("groups: %v, %v", gs, err)
	}
	return gs[0]
}

func (env *linkEnv) accounts() []store.Account {
	env.t.Helper()
	as, err := env.db.Accounts(env.ctx, env.group().ID)
	if err != nil {
		env.t.Fatal(err)
	}
	return as
}

// TestLinkInBrowser: /setup creates the group and DMs a one-time link; the
// link page sends the browser to the bank with a fresh state; the callback
// exchanges the code and asks the treasurer by DM which account is the
// group's; the tap links it and tells the group. The spent link and the
// spent state are refused afterwards.
func TestLinkInBrowser(t *testing.T) {
	env := newLinkEnv(t)
	link := env.setupLink()
	g := env.group()
	if g.Name != "우리 독서모임" || !g.Settings.IsTreasurer(store.ChatUser{Platform: "test", ID: linkTreasurer.ID}) {
		t.Fatalf("group after /setup: %+v", g)
	}
	if env.say(linkTreasurer, "/setup")[0].Text != bot.Reply(bot.Korean, bot.ReplyGroupExists, g.Name) {
		t.Error("a second /setup did not say the group exists")
	}

	cb := env.consent(link, true)
	code, body, _ := env.get(cb)
	if code != http.StatusOK || !strings.Contains(body, "동의를 받았습니다") {
		t.Fatalf("callback: %d\n%s", code, body)
	}
	var pickMsg store.Message
	for _, m := range env.dms() {
		if strings.Contains(m.Text, "어느 계좌가 모임통장인가요?") {
			pickMsg = m
		}
	}
	var p payload
	if err := json.Unmarshal(pickMsg.Payload, &p); err != nil || len(p.Buttons) != 2 {
		t.Fatalf("account choice: %q with %+v (%v), want two account buttons", pickMsg.Text, p.Buttons, err)
	}
	if len(env.accounts()) != 0 {
		t.Fatal("an account was linked before the treasurer picked it")
	}
	var data string
	for _, row := range p.Buttons {
		if strings.Contains(row[0].Text, "카카오뱅크") {
			data = row[0].Data
		}
	}
	// Someone else's tap on the choice changes nothing.
	other := bot.User{Platform: "test", ID: "8", Name: "남"}
	tap := func(from bot.User) string {
		env.next++
		return env.r.HandleUpdate(env.ctx, bot.Update{ID: "test:" + strconv.Itoa(env.next), Chat: from.Ref(), Private: true,
			From: from, Tap: &bot.Tap{Data: data, Message: "5"}})
	}
	if got := tap(other); got != bot.Reply(bot.Korean, bot.ReplyLinkGone) {
		t.Errorf("a stranger's tap answered %q", got)
	}
	if got := tap(linkTreasurer); !strings.Contains(got, "카카오뱅크 3333-01-2345*** 계좌를 연결했어요") {
		t.Errorf("the treasurer's tap answered %q", got)
	}
	if as := env.accounts(); len(as) != 1 || as[0].BankName != "카카오뱅크" {
		t.Fatalf("accounts after the tap: %+v", as)
	}
	told := false
	for _, m := range env.queued("reply/") {
		if m.Chat.ID == linkChat.ID && strings.Contains(m.Text, "계좌를 연결했어요") {
			told = true
		}
	}
	if !told {
		t.Error("the group was not told")
	}
	if got := tap(linkTreasurer); got != bot.Reply(bot.Korean, bot.ReplyLinkGone) {
		t.Errorf("a second tap answered %q", got)
	}

	// The link and the state were single use.
	if code, _, _ := env.get(link); code != http.StatusGone {
		t.Errorf("the spent link answered %d, want 410", code)
	}
	if code, body, _ := env.get(cb); code != http.StatusBadRequest || !strings.Contains(body, "잘못된 요청입니다") {
		t.Errorf("the spent state answered %d\n%s", code, body)
	}
}

// TestLinkRefusals: forged and expired states, a cancelled consent, an
// expired link and a bank error give a clear page and leave nothing linked.
func TestLinkRefusals(t *testing.T) {
	t.Run("ForgedState", func(t *testing.T) {
		env := newLinkEnv(t)
		env.setupLink()
		code, body, _ := env.get("/oauth/callback?code=abc&state=" + strings.Repeat("A", 32))
		if code != http.StatusBadRequest || !strings.Contains(body, "잘못된 요청입니다") {
			t.Errorf("forged state: %d\n%s", code, body)
		}
		if len(env.accounts()) != 0 {
			t.Error("something was linked")
		}
	})
	t.Run("Cancelled", func(t *testing.T) {
		env := newLinkEnv(t)
		cb := env.consent(env.setupLink(), false)
		code, body, _ := env.get(cb)
		if code != http.StatusOK || !strings.Contains(body, "연결을 취소했습니다") {
			t.Errorf("cancelled consent: %d\n%s", code, body)
		}
		told := env.dmContains("은행 연결이 취소됐어요")
		if !told || len(env.accounts()) != 0 {
			t.Errorf("treasurer told %v, accounts %d", told, len(env.accounts()))
		}
	})
	t.Run("ExpiredLink", func(t *testing.T) {
		env := newLinkEnv(t)
		link := env.setupLink()
		env.clock.Advance(LinkTTL + time.Second)
		if code, body, _ := env.get(link); code != http.StatusGone || !strings.Contains(body, "만료된 링크입니다") {
			t.Errorf("expired link: %d\n%s", code, body)
		}
	})
	t.Run("ExpiredState", func(t *testing.T) {
		env := newLinkEnv(t)
		cb := env.consent(env.setupLink(), true)
		env.clock.Advance(LinkTTL + time.Second)
		if code, _, _ := env.get(cb); code != http.StatusBadRequest {
			t.Errorf("a callback after the link expired answered %d, want 400", code)
		}
		if len(env.accounts()) != 0 {
			t.Error("something was linked")
		}
	})
	t.Run("BankError", func(t *testing.T) {
		env := newLinkEnv(t)
		cb := env.consent(env.setupLink(), true)
		if err := env.sim.InjectFault(testbed.Fault{API: testbed.APIToken, HTTPStatus: 500, Count: 1}); err != nil {
			t.Fatal(err)
		}
		code, body, _ := env.get(cb)
		if code != http.StatusBadGateway || !strings.Contains(body, "연결하지 못했습니다") {
			t.Errorf("bank error: %d\n%s", code, body)
		}
		told := env.dmContains("은행 연결에 실패했어요")
		if !told || len(env.accounts()) != 0 {
			t.Errorf("treasurer told %v, accounts %d", told, len(env.accounts()))
		}
	})
	t.Run("EscapedGroupName", func(t *testing.T) {
		env := newLinkEnv(t)
		env.say(linkTreasurer, `/setup <script>alert(1)</script>`)
		var link string
		for _, m := range env.dms() {
			if strings.Contains(m.Text, "/link/") {
				link = env.linkIn(m.Text)
			}
		}
		_, body, _ := env.get(link)
		if strings.Contains(body, "<script>") || !strings.Contains(body, "&lt;script&gt;") {
			t.Errorf("the group name is not escaped:\n%s", body)
		}
	})
}

// TestLinkOffWithoutPublicURL: without a public URL (the demo), /link says
// linking needs moimbot serve instead of sending a dead link.
func TestLinkOffWithoutPublicURL(t *testing.T) {
	env := newRouterEnv(t)
	got := env.say(routerTreasurer, false, "/link")
	var texts []string
	for _, m := range got {
		texts = append(texts, m.Text)
	}
	if all := strings.Join(texts, "\n"); !strings.Contains(all, "MOIMBOT_PUBLIC_URL") {
		t.Errorf("/link answered %q", all)
	}
}

// TestLinkReplacesAccount: linking again and picking another account makes
// that one the group's; the one picked before is no longer read.
func TestLinkReplacesAccount(t *testing.T) {
	env := newLinkEnv(t)
	pickWith := func(link, bank string) {
		t.Helper()
		if code, body, _ := env.get(env.consent(link, true)); code != http.StatusOK {
			t.Fatalf("callback: %d\n%s", code, body)
		}
		var last store.Message
		for _, m := range env.dms() {
			if strings.Contains(m.Text, "어느 계좌가 모임통장인가요?") {
				last = m
			}
		}
		var p payload
		if err := json.Unmarshal(last.Payload, &p); err != nil {
			t.Fatal(err)
		}
		for _, row := range p.Buttons {
			if strings.Contains(row[0].Text, bank) {
				env.next++
				env.r.HandleUpdate(env.ctx, bot.Update{ID: "test:p" + strconv.Itoa(env.next), Chat: linkTreasurer.Ref(), Private: true,
					From: linkTreasurer, Tap: &bot.Tap{Data: row[0].Data, Message: "1"}})
				return
			}
		}
		t.Fatalf("no %s button", bank)
	}
	pickWith(env.setupLink(), "신한") // the wrong one: the personal account
	env.next++
	u := bot.Update{ID: "test:l" + strconv.Itoa(env.next), Chat: linkChat, From: linkTreasurer, Text: "/link"}
	env.r.HandleUpdate(env.ctx, u)
	var link string
	for _, m := range env.dms() {
		if strings.Contains(m.Text, "/link/") {
			link = env.linkIn(m.Text)
		}
	}
	pickWith(link, "카카오뱅크")
	var read []string
	for _, a := range env.accounts() {
		if a.Relink == nil {
			read = append(read, a.BankName)
		}
	}
	if len(read) != 1 || read[0] != "카카오뱅크" {
		t.Errorf("accounts read: %v, want only 카카오뱅크", read)
	}
}
