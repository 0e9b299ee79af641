package main

// The whole-system fault suite (issue 16, part 4): moimbot serve against
// the KFTC simulator and the fake Telegram server over loopback, with the
// faults injected where they happen in production, in the bank, in the
// chat platform, in the process (SIGKILL) and on the disk. The short form
// runs with the package's tests; the long form (100 kills and the real
// timeouts) needs the faults build tag:
//
//	go test -tags faults -run '^TestFaults' -v ./cmd/moimbot
//
// MOIMBOT_FAULT_KILLS sets the number of kills and MOIMBOT_FAULT_SEED the
// seed of the random choices (printed by every run, so that a failure can
// be replayed). docs/faults.md explains the figures the tests print.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/bot/telegram"
	"github.com/moimbot/moimbot/bot/telegram/telegramtest"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/openbanking"
	"github.com/moimbot/moimbot/openbanking/testbed"
	"github.com/moimbot/moimbot/server"
	"github.com/moimbot/moimbot/store"
)

// faultRig is a serveRig whose bot reaches the fake Telegram through a
// tgProxy (in-process; a helper process may too) and whose log a test can
// wait on: the in-process serve's, at info level, or the last helper
// process's.
type faultRig struct {
	*serveRig
	proxy *tgProxy
	logs  *logWatch
	// amount is the last deposit amount handed out: every deposit of a
	// test has its own, so that its notice can be told from the others.
	amount int64
	// patience bounds each wait for a message or a log line.
	patience time.Duration
}

func newFaultRig(t *testing.T) *faultRig {
	t.Helper()
	rig := &faultRig{serveRig: newServeRig(t), logs: newLogWatch(), amount: 10_000, patience: 20 * time.Second}
	rig.log, rig.proxy = &syncBuffer{}, newTGProxy(t, rig.tg.URL)
	return rig
}

// start runs moimbot serve in-process until stop, as serveRig.start does,
// with the Telegram API at the proxy.
func (rig *faultRig) start() {
	t := rig.t
	t.Helper()
	ln, err := net.Listen("tcp", strings.TrimPrefix(rig.public, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	rig.out, rig.log, rig.logs = &syncBuffer{}, &syncBuffer{}, newLogWatch()
	vars := map[string]string{store.EnvSecretKey: rig.key}
	e := env{getenv: func(k string) string { return vars[k] }, stdout: rig.out, stderr: io.MultiWriter(rig.log, rig.logs)}
	c := &serveConfig{db: rig.dbPath, httpAddr: ln.Addr().String(), publicURL: rig.public, kftcURL: rig.bankURL,
		clientID: rig.party.Institution.ClientID, clientSecret: rig.party.Institution.ClientSecret,
		useCode: rig.party.Institution.ClientUseCode, telegramToken: rig.tg.Token, telegramAPIURL: rig.proxy.URL,
		lang: "ko", logLevel: "info", logFormat: "text", pollTimeout: 2 * time.Second,
		ln: ln, now: rig.clock.Now, idle: 20 * time.Millisecond,
		plan: func(store.Group) cron.Schedule { return serveEvery{200 * time.Millisecond} }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		code := exitOK
		if err := serve(ctx, e, c); err != nil {
			fmt.Fprintln(e.stderr, err)
			code = exitError
		}
		done <- code
	}()
	stopped, code := false, 0
	rig.stop = func() int {
		if stopped {
			return code
		}
		stopped = true
		cancel()
		select {
		case code = <-done:
			return code
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not stop within 20 s")
			return -1
		}
	}
	t.Cleanup(func() { rig.stop() })
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := rig.tg.WaitPolling(wctx); err != nil {
		t.Fatalf("the bot never polled Telegram: %v\nlog: %s", err, rig.log)
	}
}

// seedGroup stores the demo's 독서모임 (server.DemoGroup: eight members
// among them 김민수, 이지은 and 강도윤, 30,000원 due on the 25th), posting
// to the test's group chat with serveTreasurer as its treasurer, and links
// its account through the OAuth code flow with the simulator's scripted
// consent, as moimbot demo does. The setup through the chat is
// TestServeTelegram's; here the group chat stays quiet until the test
// begins, so that its notices do not wait behind the setup's replies for
// Telegram's flood limits.
func (rig *faultRig) seedGroup() {
	t := rig.t
	t.Helper()
	ctx := context.Background()
	key, err := store.ParseKey(rig.key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, rig.dbPath, store.Options{Cipher: key, Now: rig.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	chat := bot.ChatRef{Platform: telegram.Platform, ID: strconv.FormatInt(serveGroupID, 10)}
	treasurer := bot.ChatRef{Platform: telegram.Platform, ID: strconv.FormatInt(serveTreasurer, 10)}
	g, err := db.PutGroup(ctx, store.ActorCLI, server.DemoGroup(ledger.MonthOf(rig.clock.Now().In(ledger.KST())), 25, bot.Korean, chat, treasurer))
	if err != nil {
		t.Fatal(err)
	}
	client, _, err := server.NewBankClient(openbanking.Config{BaseURL: rig.bankURL, ClientID: rig.party.Institution.ClientID,
		ClientSecret: rig.party.Institution.ClientSecret, ClientUseCode: rig.party.Institution.ClientUseCode,
		RedirectURI: rig.public + "/oauth/callback", Sequence: db, Now: rig.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	consent := func(ctx context.Context, authURL string) (*url.URL, error) {
		return testbed.Consent(ctx, nil, authURL, rig.party.User.UserSeqNo, []string{testbed.DemoGroupAccountID}, true)
	}
	if _, err := server.LinkAccount(ctx, db, client, g.ID, store.ActorCLI, consent, nil); err != nil {
		t.Fatal(err)
	}
}

// nextAmount returns a deposit amount no other deposit of the test has.
func (rig *faultRig) nextAmount() int64 {
	rig.amount++
	return rig.amount
}

// pay posts a deposit of a new amount from name and returns the start of
// its notice in the group.
func (rig *faultRig) pay(name string) string {
	rig.t.Helper()
	amount := rig.nextAmount()
	rig.deposit(name, amount)
	return noticeOf(name, amount)
}

// noticeOf is how the group's notice of a member's deposit starts.
func noticeOf(name string, amount int64) string {
	return "💰 " + name + "님 " + bot.Won(bot.Korean, amount) + " 입금"
}

// waitSince waits until the bot has sent a message to chat, after since,
// whose text contains want, and returns it.
func (rig *faultRig) waitSince(since time.Time, chat int64, want string) telegramtest.Message {
	rig.t.Helper()
	return rig.waitN(since, chat, want, 1)
}

// waitN waits until the bot has sent n messages to chat, after since,
// whose text contains want, and returns the last.
func (rig *faultRig) waitN(since time.Time, chat int64, want string, n int) telegramtest.Message {
	rig.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), rig.patience)
	defer cancel()
	calls, err := rig.tg.WaitN(ctx, n, func(c telegramtest.Call) bool {
		return c.ChatID == chat && c.Message != nil && c.OK() && !c.Time.Before(since) && strings.Contains(c.Message.Text, want)
	})
	if err != nil {
		rig.t.Fatalf("%d of %d messages to %d containing %q since %s; the chat has:\n%s\nlog: %s", len(calls), n,
			chat, want, since.Format(time.StampMilli), strings.Join(texts(rig.tg.Sent(chat)), "\n---\n"), rig.logs)
	}
	return *calls[n-1].Message
}

// waitLog waits until the log has n lines containing every one of subs.
func (rig *faultRig) waitLog(n int, subs ...string) {
	rig.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), rig.patience)
	defer cancel()
	if err := rig.logs.wait(ctx, n, subs...); err != nil {
		rig.t.Fatalf("log lines with %q: %v\nlog: %s", subs, err, rig.logs)
	}
}

// advance moves the bot's and the bank's clock by d.
func (rig *faultRig) advance(d time.Duration) {
	rig.t.Helper()
	if err := rig.clock.Advance(d); err != nil {
		rig.t.Fatal(err)
	}
}

// postCounts lists how many times each notice was posted, "1,1,1".
func (rig *faultRig) postCounts(notices ...string) string {
	counts := make([]string, len(notices))
	for i, n := range notices {
		counts[i] = fmt.Sprint(len(sends(rig.tg, serveGroupID, n)))
	}
	return strings.Join(counts, ",")
}

// figureRow is one line of a fault test's figures.
type figureRow struct{ name, outcome string }

// sends returns the bot's successful sendMessage calls to chat whose text
// contains sub, in arrival order.
func sends(tg *telegramtest.Server, chat int64, sub string) []telegramtest.Call {
	var out []telegramtest.Call
	for _, c := range tg.Calls("sendMessage") {
		if c.OK() && c.ChatID == chat && c.Message != nil && strings.Contains(c.Message.Text, sub) {
			out = append(out, c)
		}
	}
	return out
}

func texts(ms []telegramtest.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Text
	}
	return out
}

// checkDB runs moimbot check on the database file, as an operator would,
// and returns its exit code and output.
func checkDB(path string) (int, string) {
	var out, errOut syncBuffer
	code := runWith(context.Background(), []string{"check", "--db", path}, env{getenv: noEnv, stdin: strings.NewReader(""), stdout: &out, stderr: &errOut})
	return code, strings.TrimSpace(out.String() + errOut.String())
}

// openStored opens the database read-only after the bot stopped.
func openStored(t *testing.T, path, key string) *store.DB {
	t.Helper()
	k, err := store.ParseKey(key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), path, store.Options{ReadOnly: true, Cipher: k, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// storedCounts counts the stored incoming rows and live payments of the
// group account by text and amount, "name/amount".
func storedCounts(t *testing.T, db *store.DB) (rows, payments map[string]int) {
	t.Helper()
	ctx := context.Background()
	accts, err := db.Accounts(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	rows, payments = map[string]int{}, map[string]int{}
	byID := map[string]string{}
	groups := map[string]bool{}
	for _, a := range accts {
		deps, err := db.Deposits(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range deps {
			if d.Direction == ledger.In {
				k := d.Text + "/" + strconv.FormatInt(d.Amount, 10)
				rows[k]++
				byID[d.ID] = k
			}
		}
		groups[a.GroupID] = true
	}
	for g := range groups {
		ps, err := db.Payments(ctx, g)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if k, ok := byID[p.Payment.Ref]; ok && !p.Voided {
				payments[k]++
			}
		}
	}
	return rows, payments
}

// logWatch is a log sink a test can wait on: every write wakes the
// waiters.
type logWatch struct {
	mu      sync.Mutex
	b       strings.Builder
	changed chan struct{}
}

func newLogWatch() *logWatch { return &logWatch{changed: make(chan struct{})} }

// Write implements io.Writer.
func (w *logWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	close(w.changed)
	w.changed = make(chan struct{})
	return len(p), nil
}

// String returns everything written.
func (w *logWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// count returns the number of lines containing every one of subs.
func (w *logWatch) count(subs ...string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return countLines(w.b.String(), subs)
}

func countLines(s string, subs []string) int {
	n := 0
	for line := range strings.Lines(s) {
		all := true
		for _, sub := range subs {
			all = all && strings.Contains(line, sub)
		}
		if all {
			n++
		}
	}
	return n
}

// wait blocks until n lines contain every one of subs, or ctx ends.
func (w *logWatch) wait(ctx context.Context, n int, subs ...string) error {
	for {
		w.mu.Lock()
		got, changed := countLines(w.b.String(), subs), w.changed
		w.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("saw %d of %d: %w", got, n, ctx.Err())
		}
	}
}

// tgFault is a fault the proxy injects into a Bot API call, where the fake
// server has none of its own (it answers 429 and any error status itself:
// Throttle, Fail).
type tgFault int

const (
	// tgHang holds the call without passing it on until the client gives
	// up: a timeout. Telegram never sees the message.
	tgHang tgFault = iota + 1
	// tgDrop closes the connection without passing the call on.
	tgDrop
	// tgLost passes the call on, so that Telegram takes the message, and
	// then closes the connection instead of answering: the answer is lost.
	tgLost
	// tgBadGateway answers 502 Bad Gateway as Telegram's front end does,
	// without passing the call on. (The fake's Fail does the same for
	// any chat's call; the proxy's rule names the chat.)
	tgBadGateway
	// tgThen passes the call on and runs the rule's then once Telegram
	// has answered, before the answer goes back: something happens to the
	// bot between Telegram taking a message and the bot learning so.
	tgThen
)

func (f tgFault) String() string {
	switch f {
	case tgHang:
		return "hang"
	case tgDrop:
		return "drop"
	case tgLost:
		return "lost answer"
	case tgBadGateway:
		return "502"
	case tgThen:
		return "then"
	}
	return "tgFault(" + strconv.Itoa(int(f)) + ")"
}

// tgRule injects fault into the next left calls of method to chat.
type tgRule struct {
	method string
	chat   int64
	fault  tgFault
	left   int
	then   func() // for tgThen
}

// tgHit is a fault the proxy injected: when the call arrived and when the
// proxy was done with it (for a hang, when the client gave up).
type tgHit struct {
	method      string
	chat        int64
	fault       tgFault
	arrived, at time.Time
}

// tgProxy sits between the bot and the fake Telegram server on a loopback
// address: it passes every call on (long polls included) except those a
// rule catches.
type tgProxy struct {
	// URL is the proxy's base URL, for MOIMBOT_TELEGRAM_API_URL.
	URL string

	hs   *httptest.Server
	rp   *httputil.ReverseProxy
	done chan struct{}

	mu    sync.Mutex
	rules []*tgRule
	hits  []tgHit
}

// newTGProxy starts a proxy to the fake server at target; it closes with
// the test.
func newTGProxy(t *testing.T, target string) *tgProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &tgProxy{done: make(chan struct{}), rp: &httputil.ReverseProxy{
		Rewrite:  func(r *httputil.ProxyRequest) { r.SetURL(u) },
		ErrorLog: log.New(io.Discard, "", 0), // a long poll cut off at shutdown is no news
	}}
	p.hs = httptest.NewServer(p)
	p.URL = p.hs.URL
	t.Cleanup(func() {
		close(p.done) // hung calls return first: Close waits for them
		p.hs.Close()
	})
	return p
}

// inject makes the next n calls of method to chat fail with f.
func (p *tgProxy) inject(method string, chat int64, f tgFault, n int) {
	p.add(&tgRule{method: method, chat: chat, fault: f, left: n})
}

// injectThen runs then when Telegram has answered the next call of method
// to chat, before the answer goes back to the bot.
func (p *tgProxy) injectThen(method string, chat int64, then func()) {
	p.add(&tgRule{method: method, chat: chat, fault: tgThen, left: 1, then: then})
}

func (p *tgProxy) add(r *tgRule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = append(p.rules, r)
}

// injected returns the faults injected so far.
func (p *tgProxy) injected() []tgHit {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]tgHit(nil), p.hits...)
}

// ServeHTTP passes the call on, or injects the first matching rule's
// fault.
func (p *tgProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	if rule := p.match(r, method); rule != nil {
		p.apply(w, r, method, rule)
		return
	}
	p.rp.ServeHTTP(w, r)
}

// match consumes and returns the rule for this call, if any. It reads the
// body only for methods a rule names, and puts it back for passing on.
func (p *tgProxy) match(r *http.Request, method string) *tgRule {
	p.mu.Lock()
	wanted := false
	for _, rule := range p.rules {
		wanted = wanted || (rule.left > 0 && strings.EqualFold(rule.method, method))
	}
	p.mu.Unlock()
	if !wanted {
		return nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	form := r.Clone(r.Context())
	form.Body = io.NopCloser(bytes.NewReader(body))
	if err := form.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return nil
	}
	chat, _ := strconv.ParseInt(form.FormValue("chat_id"), 10, 64)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, rule := range p.rules {
		if rule.left > 0 && strings.EqualFold(rule.method, method) && rule.chat == chat {
			rule.left--
			return rule
		}
	}
	return nil
}

func (p *tgProxy) apply(w http.ResponseWriter, r *http.Request, method string, rule *tgRule) {
	hit := tgHit{method: method, chat: rule.chat, fault: rule.fault, arrived: time.Now()}
	defer func() {
		hit.at = time.Now()
		p.mu.Lock()
		p.hits = append(p.hits, hit)
		p.mu.Unlock()
	}()
	switch rule.fault {
	case tgHang:
		select {
		case <-r.Context().Done():
		case <-p.done:
		}
		return
	case tgLost:
		// Telegram takes the message; its answer goes nowhere.
		p.rp.ServeHTTP(httptest.NewRecorder(), r)
	case tgBadGateway:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, `{"ok":false,"error_code":502,"description":"Bad Gateway"}`)
		return
	case tgThen:
		rec := httptest.NewRecorder()
		p.rp.ServeHTTP(rec, r)
		rule.then()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return
	}
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
	}
}
