package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/moimbot/moimbot/bot/slack/slacktest"
	"github.com/moimbot/moimbot/bot/telegram/telegramtest"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/openbanking/testbed"
	"github.com/moimbot/moimbot/store"
)

// serveEvery is a sub-second poll schedule for the end-to-end test.
type serveEvery struct{ d time.Duration }

func (s serveEvery) Next(t time.Time) time.Time { return t.Add(s.d) }

// serveRig is a moimbot serve run against a fake Telegram and the KFTC
// simulator, on a clock that runs in real time from a fixed afternoon.
type serveRig struct {
	t        testing.TB
	clock    *testbed.Clock
	sim      *testbed.Server
	party    testbed.Demo
	tg       *telegramtest.Server
	bankURL  string
	dbPath   string
	key      string
	public   string
	stop     func() int
	out, log *syncBuffer
	// webhook, when set, runs the Telegram adapter in webhook mode with
	// this secret.
	webhook string
	// slack, when set, is a fake Slack the bot also serves: in Socket
	// Mode, or in HTTP mode with slackSecret; slackConns counts the Socket
	// Mode connections awaited. noTelegram leaves Telegram off.
	slack       *slacktest.Server
	slackSecret string
	slackConns  int
	noTelegram  bool
}

const (
	serveGroupID   = -1001234567890
	serveTreasurer = 1001
	serveMember    = 1002
)

func newServeRig(t testing.TB) *serveRig {
	t.Helper()
	rig := &serveRig{t: t, clock: testbed.NewRealClock(), dbPath: filepath.Join(t.TempDir(), "moimbot.db"), key: store.NewKey()}
	rig.clock.Set(time.Date(2026, time.November, 12, 14, 0, 0, 0, ledger.KST()))
	rig.tg = telegramtest.NewServer()
	t.Cleanup(rig.tg.Close)
	rig.tg.AddSupergroup(serveGroupID, "우리 독서모임")
	for _, u := range []telegramtest.User{{ID: serveTreasurer, FirstName: "총무"}, {ID: serveMember, FirstName: "지은"}} {
		rig.tg.AddUser(u)
		if err := rig.tg.SetStarted(u.ID, true); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close() // the address is taken again by each start below
	rig.public = "http://" + ln.Addr().String()
	rig.sim = testbed.New(testbed.Config{Clock: rig.clock, RateLimit: -1, NoMaintenance: true})
	if rig.party, err = testbed.SeedDemoAccounts(rig.sim, []string{rig.public + "/oauth/callback"}); err != nil {
		t.Fatal(err)
	}
	bank := &http.Server{Handler: rig.sim}
	bln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go bank.Serve(bln)
	t.Cleanup(func() { bank.Close() })
	rig.bankURL = "http://" + bln.Addr().String()
	return rig
}

// start runs moimbot serve until stop, which returns its exit code.
func (rig *serveRig) start() {
	t := rig.t
	t.Helper()
	ln, err := net.Listen("tcp", strings.TrimPrefix(rig.public, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	rig.out, rig.log = &syncBuffer{}, &syncBuffer{}
	vars := map[string]string{store.EnvSecretKey: rig.key}
	e := env{getenv: func(k string) string { return vars[k] }, stdout: rig.out, stderr: rig.log}
	public := rig.public
	if rig.webhook != "" {
		// Telegram registers HTTPS webhooks only; the test posts to the
		// plain address behind it, as a TLS-terminating proxy would.
		public = "https://" + strings.TrimPrefix(rig.public, "http://")
	}
	c := &serveConfig{db: rig.dbPath, httpAddr: ln.Addr().String(), publicURL: public, kftcURL: rig.bankURL,
		clientID: rig.party.Institution.ClientID, clientSecret: rig.party.Institution.ClientSecret,
		useCode: rig.party.Institution.ClientUseCode, telegramToken: rig.tg.Token, telegramAPIURL: rig.tg.URL,
		lang: "ko", logLevel: "warn", pollTimeout: 2 * time.Second, webhook: rig.webhook,
		ln: ln, now: rig.clock.Now, idle: 20 * time.Millisecond,
		plan: func(store.Group) cron.Schedule { return serveEvery{200 * time.Millisecond} }}
	if rig.slack != nil {
		c.slack = slackConfig{botToken: rig.slack.BotToken, apiURL: rig.slack.APIURL()}
		if rig.slackSecret != "" {
			c.slack.signingSecret = rig.slackSecret
		} else {
			c.slack.appToken = rig.slack.AppToken
		}
	}
	if rig.noTelegram {
		c.telegramToken = ""
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		err := serve(ctx, e, c)
		code := exitOK
		if err != nil {
			rig.log.Write([]byte(err.Error() + "\n"))
			code = exitError
		}
		done <- code
	}()
	rig.stop = func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not stop within 20 s")
			return -1
		}
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if rig.slack != nil && rig.slackSecret == "" {
		rig.slackConns++
		if err := rig.slack.WaitConnected(wctx, rig.slackConns); err != nil {
			t.Fatalf("the bot never connected to Slack: %v\nlog: %s", err, rig.log)
		}
	}
	if rig.noTelegram {
		return
	}
	if rig.webhook != "" {
		if _, err := rig.tg.WaitFor(wctx, func(c telegramtest.Call) bool { return c.Method == "setWebhook" && c.ErrorCode == 0 }); err != nil {
			t.Fatalf("the bot never set its webhook: %v\nlog: %s", err, rig.log)
		}
		return
	}
	if err := rig.tg.WaitPolling(wctx); err != nil {
		t.Fatalf("the bot never polled Telegram: %v\nlog: %s", err, rig.log)
	}
}

// say sends text from a user in the group (or in the user's DM when chat
// is the user's id) and waits for the bot's answer in wantChat containing
// want; it returns that message.
func (rig *serveRig) say(chat, from int64, text string, wantChat int64, want string) telegramtest.Message {
	rig.t.Helper()
	if _, err := rig.tg.SendText(chat, from, text); err != nil {
		rig.t.Fatal(err)
	}
	return rig.waitText(wantChat, want)
}

// waitText waits until the bot has sent or edited a message to chat whose
// text contains want.
func (rig *serveRig) waitText(chat int64, want string) telegramtest.Message {
	rig.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	call, err := rig.tg.WaitFor(ctx, func(c telegramtest.Call) bool {
		return c.ChatID == chat && c.Message != nil && c.ErrorCode == 0 && strings.Contains(c.Message.Text, want)
	})
	if err != nil {
		var got []string
		for _, m := range rig.tg.Sent(chat) {
			got = append(got, m.Text)
		}
		rig.t.Fatalf("no message to %d containing %q; the chat has:\n%s\nlog: %s", chat, want, strings.Join(got, "\n---\n"), rig.log)
	}
	return *call.Message
}

// count is how many of the bot's messages in chat contain sub.
func (rig *serveRig) count(chat int64, sub string) int {
	n := 0
	for _, m := range rig.tg.Sent(chat) {
		if strings.Contains(m.Text, sub) {
			n++
		}
	}
	return n
}

// tap taps the button of msg whose text contains label, as user.
func (rig *serveRig) tap(chat int64, msg telegramtest.Message, user int64, label string) {
	rig.t.Helper()
	if msg.ReplyMarkup != nil {
		for _, row := range msg.ReplyMarkup.InlineKeyboard {
			for _, b := range row {
				if strings.Contains(b.Text, label) {
					if _, err := rig.tg.Tap(chat, msg.MessageID, user, b.CallbackData); err != nil {
						rig.t.Fatal(err)
					}
					return
				}
			}
		}
	}
	rig.t.Fatalf("no button %q under %q", label, msg.Text)
}

func (rig *serveRig) deposit(text string, amount int64) {
	rig.t.Helper()
	if _, err := rig.sim.Post(testbed.DemoGroupAccountID, testbed.Posting{InoutType: "입금", PrintContent: text, Amount: amount, At: rig.clock.Now()}); err != nil {
		rig.t.Fatal(err)
	}
}

func (rig *serveRig) get(u string) (*http.Response, string) {
	rig.t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(u)
	if err != nil {
		rig.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// chatSide is one platform's group chat and treasurer, as the tests drive
// them: linkOn plays the same setup on Telegram and on Slack.
type chatSide struct {
	// say sends text in the group as the treasurer and waits for the
	// group's answer containing want.
	say func(text, want string)
	// waitDM waits for a DM to the treasurer containing want and returns
	// its text; tapDM taps the button label under that DM.
	waitDM func(want string) string
	tapDM  func(want, label string)
	// waitGroup waits for a message in the group containing want.
	waitGroup func(want string)
}

// telegram is the Telegram side of the rig.
func (rig *serveRig) telegram() chatSide {
	return chatSide{
		say:    func(text, want string) { rig.say(serveGroupID, serveTreasurer, text, serveGroupID, want) },
		waitDM: func(want string) string { return rig.waitText(serveTreasurer, want).Text },
		tapDM: func(want, label string) {
			rig.tap(serveTreasurer, rig.waitText(serveTreasurer, want), serveTreasurer, label)
		},
		waitGroup: func(want string) { rig.waitText(serveGroupID, want) },
	}
}

// linkGroup plays the treasurer setting up the group in the Telegram chat
// (see linkOn).
func (rig *serveRig) linkGroup() { rig.linkOn(rig.telegram()) }

// linkOn plays the treasurer setting up the group in a chat: /setup,
// linking the bank account in the browser (plain HTTP and the simulator's
// scripted consent), picking the account with a button, the dues, and
// three members.
func (rig *serveRig) linkOn(chat chatSide) {
	t := rig.t
	t.Helper()
	// /setup in the group: the group answers, the treasurer gets a link.
	chat.say("/setup 독서모임", "모임 \"독서모임\"을(를) 만들었어요")
	var link string
	for _, f := range strings.Fields(chat.waitDM("/link/")) {
		f = strings.Trim(f, "<>")
		if strings.HasPrefix(f, rig.public+"/link/") {
			link = f
		}
	}
	if resp, body := rig.get(link); resp.StatusCode != http.StatusOK || !strings.Contains(body, "독서모임") {
		t.Fatalf("link page %q: %d\n%s", link, resp.StatusCode, body)
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Post(link, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb, err := testbed.Consent(context.Background(), nil, resp.Header.Get("Location"), rig.party.User.UserSeqNo,
		[]string{testbed.DemoGroupAccountID, testbed.DemoPersonalAccountID}, true)
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := rig.get(cb.String()); resp.StatusCode != http.StatusOK {
		t.Fatalf("callback: %d\n%s", resp.StatusCode, body)
	}
	chat.tapDM("어느 계좌가 모임통장인가요?", "카카오뱅크")
	chat.waitGroup("카카오뱅크 3333-01-2345*** 계좌를 연결했어요")

	// Dues and the roster.
	chat.say("/dues 30000 25", "회비를 매월 30,000원, 마감 25일로")
	for _, name := range []string{"김민수", "이지은", "강도윤"} {
		chat.say("/member add "+name, name+"님을 명단에 추가했어요")
	}
}

// TestServeTelegram runs the story through the real serve wiring,
// a fake Telegram and the KFTC simulator over loopback: /setup, linking in
// the browser (plain HTTP and the simulator's scripted consent), the
// account picked with a button, dues and members, a deposit noticed once,
// /status, an unknown name decided from the treasurer's DM and matched by
// itself the next month, an expired token, three HTTP 500s, a refused
// member, and a restart that posts nothing twice.
func TestServeTelegram(t *testing.T) {
	rig := newServeRig(t)
	rig.start()
	defer func() { rig.stop() }()

	rig.linkGroup()

	// A deposit becomes one notice; /status shows who paid.
	rig.deposit("김민수", 30000)
	rig.waitText(serveGroupID, "💰 김민수님 30,000원 입금")
	rig.say(serveGroupID, serveMember, "/status", serveGroupID, "✅ 완납 1명: 김민수")
	if board := rig.tg.Sent(serveGroupID); !strings.Contains(board[len(board)-1].Text, "⏳ 입금 전 2명: 이지은, 강도윤") {
		t.Errorf("the board does not show the others as not paid yet:\n%s", board[len(board)-1].Text)
	}

	// An unknown name goes to the treasurer; a button decides it.
	rig.deposit("이수진", 30000)
	review := rig.waitText(serveTreasurer, "확인이 필요한 입금")
	rig.tap(serveTreasurer, review, serveTreasurer, "회원 선택")
	picker := rig.waitText(serveTreasurer, "누구의 입금인가요?")
	rig.tap(serveTreasurer, picker, serveTreasurer, "강도윤")
	rig.waitText(serveGroupID, "💰 강도윤님 30,000원 입금 (총무 확인)")
	rig.waitText(serveTreasurer, "강도윤님으로 처리했어요")

	// A member's treasurer command changes nothing.
	rig.say(serveGroupID, serveMember, "/member add 홍길동", serveGroupID, "총무만 할 수 있는 명령이에요")

	// A name with HTML in it reaches the chat as typed: every text is
	// escaped for Telegram's HTML mode (the fake rejects unescaped markup).
	rig.say(serveGroupID, serveTreasurer, "/member add <b>굵게</b>&co", serveGroupID, "✅ <b>굵게</b>&co님을 명단에 추가했어요")

	// The next month, the same text is matched by itself; the bank
	// expires the access token and then fails three times.
	rig.clock.Set(time.Date(2026, time.December, 20, 14, 0, 0, 0, ledger.KST()))
	rig.sim.ExpireUserTokens(rig.party.User.UserSeqNo)
	if err := rig.sim.InjectFault(testbed.Fault{API: testbed.APITransactionList, HTTPStatus: 500, Count: 3}); err != nil {
		t.Fatal(err)
	}
	rig.deposit("이수진", 30000)
	rig.waitText(serveGroupID, "💰 강도윤님 30,000원 입금 — 12월 회비 완납")

	// A restart on the same database posts nothing twice and still
	// notices the next deposit.
	if code := rig.stop(); code != exitOK {
		t.Fatalf("serve exited %d: %s", code, rig.log)
	}
	before := len(rig.tg.Sent(serveGroupID))
	rig.start()
	rig.deposit("이지은", 30000)
	rig.waitText(serveGroupID, "💰 이지은님 30,000원 입금")
	for _, want := range []string{"💰 김민수님 30,000원 입금", "💰 강도윤님 30,000원 입금 (총무 확인)", "💰 강도윤님 30,000원 입금 — 12월", "💰 이지은님 30,000원 입금"} {
		if n := rig.count(serveGroupID, want); n != 1 {
			t.Errorf("%q posted %d times, want 1", want, n)
		}
	}
	if after := len(rig.tg.Sent(serveGroupID)); after != before+1 {
		t.Errorf("the restart posted %d messages to the group, want 1 (the new notice)", after-before)
	}
	if rig.tg.TooManyRequests() != 0 {
		t.Errorf("%d answers of 429", rig.tg.TooManyRequests())
	}
}

// TestServeConfig: a malformed setting fails at start with one line naming
// the variable, before anything starts.
func TestServeConfig(t *testing.T) {
	key := store.NewKey()
	tests := []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"NoChat", map[string]string{store.EnvSecretKey: key}, nil, "no chat platform is configured: set MOIMBOT_TELEGRAM_TOKEN or MOIMBOT_SLACK_BOT_TOKEN"},
		{"NoKey", map[string]string{envTelegramToken: "1:x"}, nil, "MOIMBOT_SECRET_KEY"},
		{"ShortKey", map[string]string{envTelegramToken: "1:x", store.EnvSecretKey: "c2hvcnQ="}, nil, "MOIMBOT_SECRET_KEY"},
		{"BadPublicURL", map[string]string{envPublicURL: "moimbot.example"}, nil, "--public-url ($MOIMBOT_PUBLIC_URL) \"moimbot.example\": want an absolute http or https URL"},
		{"BadKFTCURL", map[string]string{envKFTCBaseURL: "ftp://x"}, nil, "($MOIMBOT_KFTC_BASE_URL)"},
		{"BadTelegramURL", map[string]string{envTelegramAPIURL: "::"}, nil, "($MOIMBOT_TELEGRAM_API_URL)"},
		{"BadLang", map[string]string{envLang: "fr"}, nil, "--lang ($MOIMBOT_LANG) \"fr\": must be ko or en"},
		{"NoCredentials", map[string]string{envTelegramToken: "1:x", store.EnvSecretKey: key}, nil, "set MOIMBOT_KFTC_CLIENT_ID"},
		{"BadToken", map[string]string{envTelegramToken: "nope", store.EnvSecretKey: key}, []string{"--testbed"}, "--telegram-token ($MOIMBOT_TELEGRAM_TOKEN)"},
		{"FlagOverridesVariable", map[string]string{envLang: "ko"}, []string{"--lang", "de"}, "--lang ($MOIMBOT_LANG) \"de\""},
		{"SlackTokenAlone", map[string]string{envSlackBotToken: "xoxb-1", store.EnvSecretKey: key}, []string{"--testbed"}, "slack: set an app token (Socket Mode) or a signing secret (HTTP mode)"},
		{"SlackAppTokenWithoutBot", map[string]string{envSlackAppToken: "xapp-1", store.EnvSecretKey: key}, []string{"--testbed"}, "need the bot token too: set MOIMBOT_SLACK_BOT_TOKEN"},
		{"BadSlackURL", map[string]string{envSlackAPIURL: "slack.com/api"}, nil, "($MOIMBOT_SLACK_API_URL)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := tt.vars
			vars[envDB] = filepath.Join(t.TempDir(), "m.db")
			var out, errOut syncBuffer
			code := run(context.Background(), append([]string{"serve"}, tt.args...), func(k string) string { return vars[k] }, &out, &errOut)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			got := errOut.String()
			if !strings.Contains(got, tt.want) || strings.Count(got, "\n") != 1 {
				t.Errorf("stderr %q, want one line containing %q", got, tt.want)
			}
		})
	}
}

// TestServeWebhook: with a webhook secret, serve registers
// PUBLIC_URL/telegram/webhook with Telegram and answers the updates posted
// there with the secret; a post without it is refused and changes nothing.
func TestServeWebhook(t *testing.T) {
	rig := newServeRig(t)
	rig.webhook = "s3cret-Token_1"
	rig.start()
	defer func() { rig.stop() }()
	if got, want := rig.tg.Webhook(), "https://"+strings.TrimPrefix(rig.public, "http://")+"/telegram/webhook"; got != want {
		t.Fatalf("webhook %q, want %q", got, want)
	}
	update := `{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":-1001234567890,"type":"supergroup","title":"우리 독서모임"},` +
		`"from":{"id":1001,"is_bot":false,"first_name":"총무"},"text":"/setup 웹훅모임","entities":[{"type":"bot_command","offset":0,"length":6}]}}`
	post := func(secret string) int {
		req, err := http.NewRequest(http.MethodPost, rig.public+"/telegram/webhook", strings.NewReader(update))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("wrong"); code != http.StatusUnauthorized {
		t.Errorf("a post with the wrong secret answered %d, want 401", code)
	}
	if code := post(""); code != http.StatusUnauthorized {
		t.Errorf("a post without the secret answered %d, want 401", code)
	}
	if code := post(rig.webhook); code != http.StatusOK {
		t.Fatalf("the update answered %d", code)
	}
	rig.waitText(serveGroupID, `모임 "웹훅모임"을(를) 만들었어요`)
	if n := rig.count(serveGroupID, "만들었어요"); n != 1 {
		t.Errorf("the group was created %d times, want once", n)
	}
}

// TestServeStopsOnAdapterError: when Telegram refuses the token, serve
// stops everything it started and returns the error, instead of hanging.
func TestServeStopsOnAdapterError(t *testing.T) {
	rig := newServeRig(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var out, log syncBuffer
	vars := map[string]string{store.EnvSecretKey: rig.key}
	e := env{getenv: func(k string) string { return vars[k] }, stdout: &out, stderr: &log}
	c := &serveConfig{db: rig.dbPath, httpAddr: ln.Addr().String(), publicURL: rig.public, kftcURL: rig.bankURL,
		clientID: rig.party.Institution.ClientID, clientSecret: rig.party.Institution.ClientSecret,
		useCode: rig.party.Institution.ClientUseCode, telegramToken: "123:wrong-token", telegramAPIURL: rig.tg.URL,
		lang: "ko", logLevel: "error", ln: ln, now: rig.clock.Now}
	done := make(chan error, 1)
	go func() { done <- serve(context.Background(), e, c) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "telegram") {
			t.Errorf("serve returned %v, want Telegram's refusal", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return after Telegram refused the token")
	}
	// Everything was closed: the database opens again at once.
	key, err := store.ParseKey(rig.key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), rig.dbPath, store.Options{Cipher: key, Timeout: time.Second})
	if err != nil {
		t.Fatalf("the database is still held: %v", err)
	}
	db.Close()
}
