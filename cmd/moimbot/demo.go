package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/robfig/cron/v3"
	"golang.org/x/text/width"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/bot/console"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/openbanking"
	"github.com/moimbot/moimbot/openbanking/testbed"
	"github.com/moimbot/moimbot/server"
	"github.com/moimbot/moimbot/store"
)

// demoRealTime is how long the story takes at the default pace.
const demoRealTime = 25 * time.Second

// demoDueDay is the demo group's due day.
const demoDueDay = 25

// The demo's chats on the console adapter.
var (
	demoGroupChat     = bot.ChatRef{Platform: "console", ID: "group"}
	demoTreasurerChat = bot.ChatRef{Platform: "console", ID: "treasurer"}
)

// runDemo plays moimbot's main job end to end with no configuration: the
// embedded KFTC simulator on a loopback port, a temporary database, a demo
// group linked through the real OAuth code flow (consent by script), and
// about a month of deposits on an accelerated clock, with the notices,
// reminders and treasurer messages printed by the console chat adapter as
// the engine sends them. A member's status request and the treasurer's
// button taps are updates handed to the engine's command router, as a chat
// adapter would. It exits 0 at the end of the story, or, with --keep,
// leaves the simulator and the database running until Ctrl-C; when stdin
// is a terminal, or with --prompt, it then reads commands to send as the
// treasurer or a member (see prompt).
func runDemo(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("demo")
	days := fs.Int("days", 0, "days of the story to play (0: to the day after next month's due day, 36 to 39 days)")
	speed := fs.Float64("speed", 0, "how many times faster than real time the story plays (0: about 25 seconds in all)")
	keep := fs.Bool("keep", false, "leave the simulator and the database running afterwards, until Ctrl-C; with a terminal, type commands as the treasurer or a member")
	prompt := fs.Bool("prompt", false, "after the story, read commands from stdin even when it is not a terminal (implies -keep)")
	lang := fs.String("lang", "ko", "language of the messages: ko or en")
	startFlag := fs.String("start", "", "the demo's today, YYYY-MM-DD or YYYY-MM-DDTHH:MM in KST (default: now); the story is set in that month")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	today := time.Now()
	if *startFlag != "" {
		t, err := parseDemoStart(*startFlag)
		if err != nil {
			return err
		}
		today = t
	}
	if *days < 0 || *days > 120 {
		return usagef("-days %d: must be between 1 and 120 (or 0 for the whole story)", *days)
	}
	if *speed < 0 || (*speed > 0 && *speed < 1) {
		return usagef("-speed %g: must be at least 1 (or 0 for the default)", *speed)
	}
	if *lang != "ko" && *lang != "en" {
		return usagef("-lang %q: must be ko or en", *lang)
	}
	month, start, end := demoSpan(today, *days)
	if *speed == 0 {
		*speed = float64(end.Sub(start)) / float64(demoRealTime)
	}
	interactive := isTerminal(e.stdin)
	d := &demo{w: &dayWriter{w: e.stdout}, lang: bot.ParseLang(*lang), speed: *speed,
		color: console.ColorAuto(e.stdout, e.getenv)}
	if *prompt || (*keep && interactive) {
		// Input that is not typed is echoed, so the transcript reads as
		// if it were.
		d.input, d.echo = e.stdin, !interactive
	}
	return d.run(ctx, month, start, end, *keep || *prompt)
}

// parseDemoStart reads --start: a date, or a date and a time, in KST.
func parseDemoStart(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", "2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, ledger.KST()); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usagef("-start %q: want YYYY-MM-DD or YYYY-MM-DDTHH:MM (KST)", s)
}

// demoSpan places the story in the month of today (in KST): it begins at
// 09:00 a week before that month's due day and, unless days is set, ends at
// 09:00 the day after the next month's due day, so the story's last deposit
// is inside it whatever the months' lengths.
func demoSpan(today time.Time, days int) (month ledger.Period, start, end time.Time) {
	kst := ledger.KST()
	month = ledger.MonthOf(today.In(kst))
	start = month.DueDate(demoDueDay, kst).AddDate(0, 0, -7).Add(9 * time.Hour)
	end = (month+1).DueDate(demoDueDay, kst).AddDate(0, 0, 1).Add(9 * time.Hour)
	if days > 0 {
		end = start.AddDate(0, 0, days)
	}
	return month, start, end
}

// demo is one run of the demo story.
type demo struct {
	w     *dayWriter
	lang  bot.Lang
	speed float64
	color bool
	// input, when set, is read by the prompt after the story (--keep);
	// echo prints each line read after the prompt.
	input io.Reader
	echo  bool

	sim     *testbed.Server
	clock   *testbed.Clock
	base    string
	db      *store.DB
	dbPath  string
	bank    *openbanking.Client
	eng     *server.Engine
	group   store.Group
	account store.Account
	party   testbed.Demo

	mu   sync.Mutex
	sent []sentNotice
	// names are the display names of the chat users the prompt has
	// spoken as, by console user id, for the labels of their DMs.
	names map[string]string
	day   string
}

// sentNotice is a message the console printed, at virtual time at, under
// the console's id of the message (an edit has the id of the message it
// replaces).
type sentNotice struct {
	at  time.Time
	id  string
	msg bot.Message
}

// say prints a narration line in the demo's language.
func (d *demo) say(ko, en string, args ...any) {
	f := ko
	if d.lang == bot.English {
		f = en
	}
	line := fmt.Sprintf(f, args...)
	if d.color {
		line = "\x1b[2m" + line + "\x1b[0m"
	}
	fmt.Fprintln(d.w, line)
}

// run plays the story of month from start to end.
func (d *demo) run(ctx context.Context, month ledger.Period, start, end time.Time, keep bool) (err error) {
	// The simulator's clock runs in real time from an offset that each
	// step of the story moves; everything else reads it, so tokens expire,
	// maintenance windows open and messages are stamped on the story's
	// clock.
	d.clock = testbed.NewRealClock()
	if err := d.clock.Set(start); err != nil {
		return usagef("-start: %v", err)
	}
	d.sim = testbed.New(testbed.Config{Clock: d.clock, RateLimit: -1})
	const callback = "http://127.0.0.1/oauth/callback"
	if d.party, err = testbed.SeedDemoAccounts(d.sim, []string{callback}); err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := testbedServer(d.sim)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		srv.Close()
		<-served
	}()
	d.base = "http://" + ln.Addr().String()

	dir, err := os.MkdirTemp("", "moimbot-demo-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	d.dbPath = filepath.Join(dir, "moimbot.db")
	key, err := store.ParseKey(store.NewKey())
	if err != nil {
		return err
	}
	if d.db, err = store.Open(ctx, d.dbPath, store.Options{Cipher: key, Now: d.clock.Now}); err != nil {
		return err
	}
	defer d.db.Close()

	var calls *server.CallCounter
	d.bank, calls, err = server.NewBankClient(openbanking.Config{BaseURL: d.base, ClientID: d.party.Institution.ClientID,
		ClientSecret: d.party.Institution.ClientSecret, ClientUseCode: d.party.Institution.ClientUseCode,
		RedirectURI: callback, Now: d.clock.Now, Sequence: d.db})
	if err != nil {
		return err
	}
	edited := "(수정됨)"
	if d.lang == bot.English {
		edited = "(edited)"
	}
	chat := console.New(d.w, console.Options{Color: d.color, Now: d.clock.Now, Label: d.label, Edited: edited,
		NumberButtons: d.input != nil})
	d.eng = server.New(server.Config{DB: d.db, Client: d.bank, Calls: calls,
		Chats: map[string]bot.Chat{"console": recordingChat{chat: chat, d: d}}, Now: d.clock.Now})
	// One chat at a time, so that messages queued together for the group
	// and a DM print in the order they were queued, the same on every run.
	d.eng.Dispatcher().Parallel = 1

	if err := d.setup(ctx, month); err != nil {
		return err
	}
	if err := d.play(ctx, start, end, d.story(month)); err != nil {
		return err
	}
	if err := d.finish(ctx); err != nil {
		return err
	}
	if keep {
		return d.keep(ctx, dir)
	}
	return nil
}

// label names the demo's chats in the console output.
func (d *demo) label(c bot.ChatRef) string {
	d.mu.Lock()
	name, dm := d.names[c.ID]
	d.mu.Unlock()
	switch {
	case dm && c.Platform == "console" && d.lang == bot.English:
		return "DM to " + name
	case dm && c.Platform == "console":
		return name + "님 DM"
	case c == demoGroupChat && d.lang == bot.English:
		return d.group.Name + " group chat"
	case c == demoGroupChat:
		return d.group.Name + " 단톡방"
	case c == demoTreasurerChat && d.lang == bot.English:
		return "DM to the treasurer " + d.party.User.Name
	case c == demoTreasurerChat:
		return "총무 " + d.party.User.Name + "님 DM"
	}
	return c.String()
}

// recordingChat is the demo's chat on the console platform: it prints
// through the console adapter and records what it printed in the demo's
// sent list. It records before the dispatcher marks the message sent, so
// once the outbox is drained the record is complete.
type recordingChat struct {
	chat bot.Chat
	d    *demo
}

// Send implements bot.Chat.
func (c recordingChat) Send(ctx context.Context, m bot.Message) error {
	if err := c.chat.Send(ctx, m); err != nil {
		return err
	}
	c.d.mu.Lock()
	defer c.d.mu.Unlock()
	c.d.sent = append(c.d.sent, sentNotice{at: c.d.clock.Now(), id: console.MessageID(m), msg: m})
	return nil
}

// latest returns the messages the console shows now, newest first: each
// message in its last version (an edit replaces the message it edits), in
// the order of its last version.
func (d *demo) latest() []sentNotice {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []sentNotice
	seen := make(map[string]bool)
	for i := len(d.sent) - 1; i >= 0; i-- {
		s := d.sent[i]
		if s.id != "" {
			if seen[s.id] {
				continue
			}
			seen[s.id] = true
		}
		out = append(out, s)
	}
	return out
}

// treasurer is the demo group's treasurer as a chat user: their direct
// messages are demoTreasurerChat.
func (d *demo) treasurer() bot.User {
	return bot.User{Platform: demoTreasurerChat.Platform, ID: demoTreasurerChat.ID, Name: d.party.User.Name}
}

// memberUser is a roster member as a chat user on the console.
func memberUser(m ledger.Member) bot.User {
	return bot.User{Platform: "console", ID: "member-" + m.ID, Name: m.Name}
}

// handle hands u to the engine's command router, as a chat adapter does,
// and narrates the notice a button tap returns (the short text a platform
// shows only to whoever tapped).
func (d *demo) handle(ctx context.Context, u bot.Update) {
	if notice := d.eng.Router().HandleUpdate(ctx, u); notice != "" {
		d.say("↪ %s (누른 사람에게만 잠깐 보이는 알림)", "↪ %s (a brief notice to whoever tapped)", notice)
	}
}

// tap taps the button b of the message the console shows under id in
// chat, as from.
func (d *demo) tap(ctx context.Context, from bot.User, chat bot.ChatRef, id string, b bot.Button, updateID string) {
	d.handle(ctx, bot.Update{ID: updateID, Chat: chat, Private: chat != demoGroupChat, From: from,
		Tap: &bot.Tap{Data: b.Data, Message: id}})
}

// findButton returns the first of buttons that ok accepts.
func findButton(buttons [][]bot.Button, ok func(bot.Button) bool) (bot.Button, bool) {
	for _, row := range buttons {
		for _, b := range row {
			if ok(b) {
				return b, true
			}
		}
	}
	return bot.Button{}, false
}

// setup creates the group and links its account through the OAuth code
// flow, with the consent page's form submitted by script.
func (d *demo) setup(ctx context.Context, month ledger.Period) (err error) {
	if d.group, err = d.db.PutGroup(ctx, store.ActorCLI, server.DemoGroup(month, demoDueDay, d.lang, demoGroupChat, demoTreasurerChat)); err != nil {
		return err
	}
	d.say("🏁 moimbot 데모 — %s: 회원 %d명, 매월 %d일 %s, 정하늘님 면제, 한지호님은 별명 \"지호짱\"으로 등록",
		"🏁 moimbot demo — %s: %d members, %[4]s due on day %[3]d, 정하늘 exempt, 한지호 registered by his nickname \"지호짱\"",
		d.group.Name, len(d.group.Members), d.group.Dues.Day, bot.Won(d.lang, d.group.Dues.Amount))
	d.say("▶ KFTC 오픈뱅킹 시뮬레이터 %s · 임시 데이터베이스 %s",
		"▶ KFTC Open Banking simulator %s · temporary database %s", d.base, d.dbPath)
	consent := func(ctx context.Context, authURL string) (*url.URL, error) {
		return testbed.Consent(ctx, nil, authURL, d.party.User.UserSeqNo, []string{testbed.DemoGroupAccountID}, true)
	}
	if d.account, err = server.LinkAccount(ctx, d.db, d.bank, d.group.ID, store.ActorCLI, consent, nil); err != nil {
		return err
	}
	tok, err := d.db.Token(ctx, d.account.TokenName)
	if err != nil {
		return err
	}
	d.say("▶ 총무 %s님이 동의 화면에서 %s %s 조회를 허용 → 인가 코드를 토큰으로 교환해 암호화 저장 (만료 %s)",
		"▶ Treasurer %s consented to reading %s %s → code exchanged, token stored encrypted (expires %s)",
		d.party.User.Name, d.account.BankName, d.account.Masked, tok.ExpiresAt.In(ledger.KST()).Format("2006-01-02"))
	return nil
}

// storyStep is one thing that happens in the story at a moment.
type storyStep struct {
	at time.Time
	do func(ctx context.Context) error
}

// story is the month and a bit the demo plays, around the due dates of
// month and the month after. Every date and month name in it is relative to
// month, so the story reads the same whichever month it is set in.
func (d *demo) story(month ledger.Period) []storyStep {
	kst := ledger.KST()
	due := month.DueDate(demoDueDay, kst)
	next := (month + 1).DueDate(demoDueDay, kst)
	at := func(base time.Time, day, hour, minute int) time.Time {
		return base.AddDate(0, 0, day).Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute)
	}
	dep := func(t time.Time, text string, amount int64, ko, en string) storyStep {
		return storyStep{at: t, do: func(ctx context.Context) error { return d.deposit(t, "입금", text, amount, ko, en) }}
	}
	steps := []storyStep{
		dep(at(due, -6, 20, 14), "김민수", 30000, "제때 내는 회원", "an on-time payer"),
		dep(at(due, -3, 10, 12), fmt.Sprintf("%d월회비이지은", month.Month()), 30000, "리마인더를 보고 바로", "right after the reminder"),
		dep(at(due, -3, 19, 30), "박서준", 15000, "절반만 먼저", "half of it first"),
		dep(at(due, -2, 22, 47), "윤서연", 90000, "석 달 치 선납", "three months in advance"),
		dep(at(due, -2, 23, 52), "최유나", 30000, "은행 점검 시간(23:50–00:10)에 입금", "during the bank's maintenance window (23:50–00:10)"),
		{at: at(due, -2, 23, 55), do: func(ctx context.Context) error { return d.status(ctx, "maintenance") }},
		dep(at(due, -1, 12, 31), "이수진", 30000, "강도윤님의 배우자가 대신 (모르는 이름)", "강도윤's wife, for him (an unknown name)"),
		{at: at(due, -1, 13, 5), do: d.assign},
		dep(at(due, 1, 20, 5), "회비나머지박서", 15000, "나머지 절반, 은행이 7글자에서 자른 이름", "the other half, the name cut at 7 Hangul by the bank"),
		dep(at(due, 4, 21, 10), "지호짱", 30000, "늦게, 별명으로", "late, by nickname"),
		{at: at(due, 5, 13, 0), do: func(ctx context.Context) error {
			return d.deposit(at(due, 5, 13, 0), "출금", "모임식대", 180000, "모임 식사비 출금 (알림 없음)", "the dinner bill paid out (no notice)")
		}},
		{at: at(due, 8, 9, 0), do: d.expireToken},
		dep(at(next, -4, 20, 30), "김민수", 30000, "다음 달", "the next month"),
		dep(at(next, -3, 21, 15), "이수진", 30000, "지난달 배운 별칭으로 자동 확인", "matched by the alias learned last month"),
		dep(at(next, -2, 19, 40), fmt.Sprintf("이지은 %d월", (month+1).Month()), 30000, "", ""),
		dep(at(next, -1, 20, 20), "박서준", 30000, "", ""),
		dep(at(next, -1, 22, 5), "최유나", 30000, "", ""),
		dep(at(next, 0, 21, 30), "지호짱", 30000, "", ""),
	}
	// Bank interest on the first of the month is ignored quietly.
	first := (month + 1).Start(kst)
	steps = append(steps, storyStep{at: first.Add(3 * time.Hour), do: func(context.Context) error {
		return d.deposit(first.Add(3*time.Hour), "입금", "이자", 112, "은행 이자 (알림 없음)", "bank interest (no notice)")
	}})
	slices.SortStableFunc(steps, func(a, b storyStep) int { return a.at.Compare(b.at) })
	return steps
}

// deposit posts a transaction to the group account through the simulator
// (as the bank would record it) and narrates it.
func (d *demo) deposit(at time.Time, inout, text string, amount int64, ko, en string) error {
	if _, err := d.sim.Post(testbed.DemoGroupAccountID, testbed.Posting{InoutType: inout, PrintContent: text, Amount: amount, At: at}); err != nil {
		return err
	}
	note := ko
	if d.lang == bot.English {
		note = en
	}
	if note != "" {
		note = " — " + note
	}
	verb := inout
	if d.lang == bot.English {
		verb = map[string]string{"입금": "in", "출금": "out"}[inout]
	}
	d.say("🏦 %s %s %q %s%s", "🏦 %s %s %q %s%s", at.Format("15:04"), verb, text, bot.Won(d.lang, amount), note)
	return nil
}

// status plays a member, 이지은, asking for the status board in the group
// chat: the message goes to the command router as the console adapter
// would deliver it.
func (d *demo) status(ctx context.Context, why string) error {
	if why == "maintenance" {
		d.say("💬 이지은: /현황 — 은행 점검 시간이라 조회는 건너뛰고 저장된 내역으로 답합니다",
			"💬 이지은: /status — the bank is in maintenance, so moimbot skips the call and answers from what it has")
	} else {
		d.say("💬 이지은: /현황 — 마지막 조회가 1분보다 오래됐으면 먼저 조회합니다",
			"💬 이지은: /status — moimbot syncs first when the last sync is older than a minute")
	}
	m, ok := d.group.Member("m02")
	if !ok {
		return errors.New("demo: 이지은 is not on the roster")
	}
	text := "/현황"
	if d.lang == bot.English {
		text = "/status"
	}
	d.handle(ctx, bot.Update{ID: "demo-status-" + why, Chat: demoGroupChat, Title: d.group.Name, From: memberUser(*m), Text: text})
	return nil
}

// assign plays the treasurer deciding the deposit from 이수진 on the
// review message the console delivered to their DM: a tap on its "choose
// a member" button (pick:<deposit>), which edits the message to list the
// members, then a tap on 강도윤 (assign:<deposit>:m06). Both taps go to the
// command router with the button data and the message id the console
// shows, as a chat adapter would deliver them.
func (d *demo) assign(ctx context.Context) error {
	const payer, memberID = "이수진", "m06"
	var review sentNotice
	var pick bot.Button
	for _, s := range d.latest() {
		var ok bool
		if s.msg.Chat == demoTreasurerChat && strings.Contains(s.msg.Text, strconv.Quote(payer)) {
			pick, ok = findButton(s.msg.Buttons, func(b bot.Button) bool { return strings.HasPrefix(b.Data, "pick:") })
		}
		if ok {
			review = s
			break
		}
	}
	if review.id == "" {
		return fmt.Errorf("demo: no review message with a member choice for the deposit from %s", payer)
	}
	member, ok := d.group.Member(memberID)
	if !ok {
		return fmt.Errorf("demo: no member %s", memberID)
	}
	d.say("👆 총무가 DM에서 [%s]을 누릅니다", "👆 The treasurer taps [%s] in the DM", pick.Text)
	d.tap(ctx, d.treasurer(), demoTreasurerChat, review.id, pick, "demo-tap-pick")
	if err := d.deliver(ctx); err != nil {
		return err
	}
	var choice bot.Button
	for _, s := range d.latest() {
		if s.id == review.id {
			choice, ok = findButton(s.msg.Buttons, func(b bot.Button) bool {
				return strings.HasPrefix(b.Data, "assign:") && strings.HasSuffix(b.Data, ":"+memberID)
			})
			break
		}
	}
	if !ok {
		return fmt.Errorf("demo: the review message offers no button for %s", member.Name)
	}
	known, err := d.hasAlias(ctx, memberID, payer)
	if err != nil {
		return err
	}
	d.say("👆 총무가 [%s]을 고릅니다", "👆 The treasurer picks [%s]", choice.Text)
	d.tap(ctx, d.treasurer(), demoTreasurerChat, review.id, choice, "demo-tap-assign")
	learned, err := d.hasAlias(ctx, memberID, payer)
	if err != nil {
		return err
	}
	if learned && !known {
		d.say("📚 %s %s님의 별칭으로 기억합니다. 다음 달부터는 자동으로 확인합니다.", "📚 %s is now an alias of %s, matched automatically from next month on",
			quotedObject(payer, d.lang), member.Name)
	}
	return nil
}

// hasAlias reports whether the stored roster knows text as an alias of
// member id.
func (d *demo) hasAlias(ctx context.Context, id, text string) (bool, error) {
	g, err := d.db.Group(ctx, d.group.ID)
	if err != nil {
		return false, err
	}
	m, ok := g.Member(id)
	return ok && slices.ContainsFunc(m.Aliases, func(a ledger.Alias) bool { return a.Text == text }), nil
}

// expireToken has the bank expire the treasurer's access token early, so
// the next poll meets O0003 and refreshes it.
func (d *demo) expireToken(ctx context.Context) error {
	before, err := d.db.Token(ctx, d.account.TokenName)
	if err != nil {
		return err
	}
	d.sim.ExpireUserTokens(d.party.User.UserSeqNo)
	d.say("🧪 (시뮬레이터) 은행이 총무의 액세스 토큰을 만료시켰습니다", "🧪 (simulator) the bank expires the treasurer's access token")
	res, err := d.eng.Sync(ctx, d.account.ID)
	if err != nil {
		return err
	}
	after, err := d.db.Token(ctx, d.account.TokenName)
	if err != nil {
		return err
	}
	if after.AccessToken == before.AccessToken {
		return errors.New("demo: the expired token was not refreshed")
	}
	d.say("🔑 조회가 O0003(토큰 만료) 응답을 받자, 갱신 토큰으로 새 토큰을 받아 먼저 저장하고 조회를 이어갔습니다 (새 거래 %d건, 새 토큰 만료 %s)",
		"🔑 The call got O0003 (token expired): moimbot refreshed, stored the new pair first, then went on (%d new transactions; the new token expires %s)",
		len(res.New), after.ExpiresAt.In(ledger.KST()).Format("2006-01-02"))
	return nil
}

// play runs the story from start to end on the accelerated clock: at each
// step (a story event, an account's poll on its schedule, a reminder time)
// it moves the simulator clock, waits the scaled real time, runs what is due
// and delivers the queued messages.
func (d *demo) play(ctx context.Context, start, end time.Time, steps []storyStep) error {
	sched := d.eng.PollSchedule(d.group)
	plan := server.ReminderPlan(d.group.Settings.Reminder)
	secs := int((time.Duration(float64(end.Sub(start)) / d.speed)).Round(time.Second).Seconds())
	pace := fmt.Sprintf("약 %d초에", secs)
	if d.lang == bot.English {
		pace = fmt.Sprintf("in about %d seconds", secs)
	}
	if secs == 0 {
		pace = map[bool]string{true: "at full speed", false: "최대 속도로"}[d.lang == bot.English]
	}
	d.say("▶ %s부터 %d일을 %s 재생합니다. 조회는 마감일 앞뒤와 저녁에 자주, 평소엔 드물게 하고, 은행 점검 시간엔 하지 않습니다.",
		"▶ Playing %[2]d days from %[1]s %[3]s. Polls are frequent around the due day and in the evening, rare otherwise, never during the bank's maintenance window.",
		start.Format("2006-01-02 15:04"), int(end.Sub(start).Round(24*time.Hour)/(24*time.Hour)), pace)
	now := start
	nextPoll := start // the first poll right after linking
	i := 0
	// Steps are paced against the wall clock from here, so the time the
	// steps take is absorbed by the waits instead of adding to them.
	began := time.Now()
	for {
		t := nextPoll
		if i < len(steps) && steps[i].at.Before(t) {
			t = steps[i].at
		}
		if occ := plan.Between(d.group.Dues.Day, now, t); len(occ) > 0 {
			t = occ[0].At
		}
		if t.After(end) {
			break
		}
		if err := d.wait(ctx, began, t.Sub(start)); err != nil {
			return err
		}
		now = t
		if err := d.clock.Set(now); err != nil {
			return err
		}
		d.dayLine(now)
		for i < len(steps) && !steps[i].at.After(now) {
			if err := steps[i].do(ctx); err != nil {
				return err
			}
			i++
		}
		if !nextPoll.After(now) {
			d.eng.Poll(ctx, d.account.ID)
			nextPoll = server.RetrySchedule{Base: sched, RetryAt: func() time.Time { return d.eng.RetryAt(d.account.ID) }}.Next(now)
		}
		if _, err := d.eng.RunReminders(ctx, now); err != nil {
			return err
		}
		if err := d.deliver(ctx); err != nil {
			return err
		}
	}
	if err := d.clock.Set(end); err != nil {
		return err
	}
	return nil
}

// wait sleeps until the wall-clock moment at which the story, begun at
// began, reaches elapsed story time at the demo's speed.
func (d *demo) wait(ctx context.Context, began time.Time, elapsed time.Duration) error {
	real := time.Until(began.Add(time.Duration(float64(elapsed) / d.speed)))
	if real <= 0 {
		return nil
	}
	t := time.NewTimer(real)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// dayLine starts a new day of the story: its heading is printed before
// the first line written that day, so quiet days print nothing.
func (d *demo) dayLine(t time.Time) {
	k := t.In(ledger.KST())
	day := k.Format("2006-01-02")
	if day == d.day {
		return
	}
	d.day = day
	head := fmt.Sprintf("\n── %d월 %d일(%s) ──", k.Month(), k.Day(), [...]string{"일", "월", "화", "수", "목", "금", "토"}[k.Weekday()])
	if d.lang == bot.English {
		head = "\n── " + k.Format("Mon, Jan 2") + " ──"
	}
	if d.color {
		head = "\x1b[2m" + head + "\x1b[0m"
	}
	d.w.heading(head + "\n")
}

// dayWriter writes a pending heading before the next write. The console
// chat and the narration both write through it.
type dayWriter struct {
	mu      sync.Mutex
	w       io.Writer
	pending string
	writes  int // Write calls so far
}

// count returns how many times Write has been called.
func (w *dayWriter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writes
}

func (w *dayWriter) heading(h string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending = h
}

// Write implements io.Writer.
func (w *dayWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	if w.pending != "" {
		if _, err := io.WriteString(w.w, w.pending); err != nil {
			return 0, err
		}
		w.pending = ""
	}
	return w.w.Write(p)
}

// deliver runs the dispatcher until nothing is due.
func (d *demo) deliver(ctx context.Context) error {
	for range 100 {
		n, err := d.eng.Dispatcher().DispatchOnce(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
	return errors.New("demo: the outbox does not drain")
}

// finish shows the final board and what the run cost and how fast it was.
func (d *demo) finish(ctx context.Context) error {
	d.w.heading("")
	d.say("\n── 끝 ──", "\n── The end ──")
	if err := d.status(ctx, "final"); err != nil {
		return err
	}
	if err := d.deliver(ctx); err != nil {
		return err
	}
	var delays []time.Duration
	d.mu.Lock()
	for _, s := range d.sent {
		if s.msg.Kind != bot.KindDeposit || !strings.HasPrefix(s.msg.Key, "deposit/") {
			continue
		}
		id := strings.TrimPrefix(s.msg.Key, "deposit/")
		id = id[:strings.LastIndex(id, "/console:")]
		rec, err := d.db.Deposit(ctx, id)
		if err != nil {
			d.mu.Unlock()
			return err
		}
		delays = append(delays, s.at.Sub(rec.Deposit.At))
	}
	d.mu.Unlock()
	counts, err := d.db.CallCounts(ctx, d.account.ID)
	if err != nil {
		return err
	}
	var total int64
	var months []string
	for _, c := range counts {
		total += c.Calls
		if d.lang == bot.English {
			months = append(months, fmt.Sprintf("%s %s", c.Month.Month(), thousands(c.Calls)))
		} else {
			months = append(months, fmt.Sprintf("%d월 %s회", c.Month.Month(), thousands(c.Calls)))
		}
	}
	n := thousands(total)
	d.say("\n📊 거래내역 조회 %s회 (%s · 목표: 계좌당 한 달 1,000회 이하)",
		"\n📊 %s transaction-list calls (%s; the target is at most 1,000 per account per month)",
		n, strings.Join(months, ", "))
	if len(delays) > 0 {
		slices.Sort(delays)
		mins := func(d time.Duration) int { return int(d.Round(time.Minute).Minutes()) }
		d.say("📊 입금 → 단톡방 알림 (자동 확인된 %d건, 데모 시계 기준): 중앙값 %d분, 최대 %d분",
			"📊 Deposit → group chat notice (%d matched automatically, on the demo's clock): median %d min, max %d min",
			len(delays), mins(delays[len(delays)/2]), mins(delays[len(delays)-1]))
	}
	return d.db.Check(ctx)
}

// keep leaves everything running for exploration: the simulator (its admin
// API accepts deposits), the engine on the cron scheduler with a poll every
// minute and its dispatcher, and the database's control socket, until ctx
// is cancelled, or, with the prompt, until it ends.
func (d *demo) keep(ctx context.Context, dir string) error {
	d.say("\n▶ --keep: 시뮬레이터와 데이터베이스를 계속 실행합니다 (Ctrl-C로 종료). 1분마다 조회합니다.",
		"\n▶ --keep: the simulator and the database keep running (Ctrl-C to stop); moimbot polls every minute.")
	d.say("  시뮬레이터 %s (관리 API %s/testbed/)", "  simulator %s (admin API %s/testbed/)", d.base, d.base)
	d.say("  입금해 보기: curl -X POST %s/testbed/accounts/%s/transactions -d '{\"inout_type\":\"입금\",\"print_content\":\"김민수\",\"amount\":30000}'",
		"  try a deposit: curl -X POST %s/testbed/accounts/%s/transactions -d '{\"inout_type\":\"입금\",\"print_content\":\"김민수\",\"amount\":30000}'",
		d.base, testbed.DemoGroupAccountID)
	d.say("  데이터베이스 %s (백업: go run ./cmd/moimbot backup --db %s --out backup.db)",
		"  database %s (backup: go run ./cmd/moimbot backup --db %s --out backup.db)", d.dbPath, d.dbPath)
	d.eng.UsePlan(func(store.Group) cron.Schedule { return bot.FixedSchedule{Every: time.Minute} })
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wait, err := d.eng.Start(ctx)
	if err != nil {
		return err
	}
	admin := make(chan error, 1)
	go func() { admin <- serveAdmin(ctx, d.db, d.eng, adminSocket(d.dbPath)) }()
	if d.input != nil {
		if err := d.prompt(ctx, d.input); err != nil {
			cancel()
			wait()
			return errors.Join(err, <-admin)
		}
		cancel()
	}
	<-ctx.Done()
	wait()
	if err := <-admin; err != nil {
		return err
	}
	d.say("▶ 멈췄습니다. 데이터베이스는 %s에 남아 있으니 다 보셨으면 지워 주세요.",
		"▶ Stopped. The database stays in %s; remove it when you are done.", dir)
	return nil
}

// padRight pads s with spaces to n terminal columns, counting East Asian wide
// characters (Hangul, full-width Latin) as two columns.
func padRight(s string, n int) string {
	cols := columns(s)
	if cols >= n {
		return s
	}
	return s + strings.Repeat(" ", n-cols)
}

// columns counts the terminal columns of s, East Asian wide characters as
// two.
func columns(s string) int {
	cols := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			cols += 2
		default:
			cols++
		}
	}
	return cols
}

// thousands formats n with thousands separators: 1,310.
func thousands(n int64) string { return strings.TrimSuffix(bot.Won(bot.Korean, n), "원") }

// quotedObject quotes text and adds the Korean object particle that fits
// its last syllable ("이수진"을, "지호짱"을, "민수"를); in English it just
// quotes.
func quotedObject(text string, lang bot.Lang) string {
	q := strconv.Quote(text)
	if lang == bot.English {
		return q
	}
	r, _ := utf8.DecodeLastRuneInString(text)
	if r >= 0xAC00 && r <= 0xD7A3 && (r-0xAC00)%28 != 0 {
		return q + "을"
	}
	return q + "를"
}
