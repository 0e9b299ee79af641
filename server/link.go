package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/openbanking"
	"github.com/moimbot/moimbot/store"
)

// newBankTransport is the HTTP transport of the bank's client: many
// accounts are polled concurrently against one host, so it keeps twice as
// many idle connections as calls are made at once.
func newBankTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 2 * maxConcurrentPolls
	return t
}

// NewBankClient returns a KFTC client whose transaction-list calls are
// counted at the transport (see CallCounter). cfg.HTTPClient, when set,
// keeps its settings and gets the counting transport in front of its own.
func NewBankClient(cfg openbanking.Config) (*openbanking.Client, *CallCounter, error) {
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		copied := *cfg.HTTPClient
		hc = &copied
	}
	var next http.RoundTripper = newBankTransport()
	if hc.Transport != nil {
		next = hc.Transport
	}
	counter := &CallCounter{next: next}
	hc.Transport = counter
	cfg.HTTPClient = hc
	c, err := openbanking.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	return c, counter, nil
}

// maxConcurrentPolls bounds the sync passes calling the bank at once (a
// pass gives its slot back when the bank has answered, before its rows are
// committed). The scale benchmark found 32 near the best on two cores: 8
// took three times as long for 10,000 accounts, 128 was only 10% faster.
const maxConcurrentPolls = 32

// Config is what an Engine is wired from. DB, Client and Calls are
// required; the rest have defaults.
type Config struct {
	// DB is the open database.
	DB *store.DB
	// Client is the KFTC client, and Calls the counter NewBankClient
	// returned with it.
	Client *openbanking.Client
	Calls  *CallCounter
	// Chats are the chat adapters by platform name ("telegram", "slack",
	// "console").
	Chats map[string]bot.Chat
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives the engine's log; nil discards it.
	Log *slog.Logger
	// Idle is the dispatcher's wait when nothing is due; 0 means 1 s.
	Idle time.Duration
	// OnSent, when set, is called with each message a chat accepted.
	OnSent func(bot.Message)
	// Plan is the poll schedule of a group's accounts; nil means
	// bot.PollSchedule on the group's due day.
	Plan func(store.Group) cron.Schedule
	// Grace is how late a reminder may still be posted after downtime; 0
	// means bot.DefaultReminderGrace.
	Grace time.Duration
	// PublicURL is where browsers reach HTTPHandler (the link pages and
	// the OAuth callback), without a trailing slash; empty means linking in
	// the browser is off (the demo).
	PublicURL string
	// Lang is the language of chats and pages that belong to no group yet;
	// empty means Korean.
	Lang bot.Lang
	// Metrics, when set, receive the engine's metrics (see Metrics); nil
	// records none.
	Metrics *Metrics
}

// New wires an engine; it does no I/O.
func New(p Config) *Engine {
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Log == nil {
		p.Log = slog.New(slog.DiscardHandler)
	}
	if p.Grace == 0 {
		p.Grace = bot.DefaultReminderGrace
	}
	notes := &notifier{now: p.Now, log: p.Log, grace: p.Grace}
	p.DB.SetDeadLetter(notes.deadLetter)
	s := newSyncer(p.DB, p.Client, p.Calls, p.Now, p.Log)
	s.notify, s.relink, s.gapNote, s.stuckNote = notes.deposit, notes.relink, notes.gap, notes.stuck
	chats := make(map[string]bot.Chat, len(p.Chats))
	d := &bot.Dispatcher{Outbox: outbox{p.DB}, Chats: chats, Now: p.Now, Log: p.Log, Idle: p.Idle,
		OnDead: notes.onDead, OnSent: p.OnSent}
	if p.Lang == "" {
		p.Lang = bot.Korean
	}
	e := &Engine{db: p.DB, sync: s, dispatch: d, notes: notes, now: p.Now, log: p.Log, schedule: p.Plan, grace: p.Grace,
		slots: make(chan struct{}, maxConcurrentPolls), publicURL: strings.TrimSuffix(p.PublicURL, "/"), lang: p.Lang,
		links:  &links{links: map[string]*pendingLink{}, states: map[string]string{}, picks: map[string]*pendingPick{}},
		linked: make(chan struct{}, 1), chats: p.Chats}
	for platform, c := range p.Chats {
		chats[platform] = watchedChat{Chat: c, e: e}
	}
	p.Metrics.attach(e)
	return e
}

// LinkAccount links a group's bank account the way a treasurer does: the
// client builds the authorization URL, consent is given (in a browser, or
// by script through consent, which returns the redirect to the callback),
// the code is exchanged for a token pair, which is stored encrypted, and
// the account the bank lists is linked to the group for polling. pick
// chooses the account among those listed; nil takes the first.
func LinkAccount(ctx context.Context, db *store.DB, client *openbanking.Client, groupID, actor string,
	consent func(ctx context.Context, authorizeURL string) (*url.URL, error),
	pick func([]openbanking.Account) (openbanking.Account, bool)) (store.Account, error) {
	state := openbanking.NewState()
	authURL, err := client.AuthorizeURL(state, openbanking.AuthorizeOptions{Scope: linkScope})
	if err != nil {
		return store.Account{}, fmt.Errorf("link: %w", err)
	}
	redirect, err := consent(ctx, authURL)
	if err != nil {
		return store.Account{}, fmt.Errorf("link: consent: %w", err)
	}
	cb, err := openbanking.ParseCallback(redirect.Query(), state)
	if err != nil {
		return store.Account{}, fmt.Errorf("link: %w", err)
	}
	tok, accounts, err := exchangeCode(ctx, db, client, cb.Code)
	if err != nil {
		return store.Account{}, err
	}
	if pick == nil {
		pick = func(as []openbanking.Account) (openbanking.Account, bool) {
			if len(as) == 0 {
				return openbanking.Account{}, false
			}
			return as[0], true
		}
	}
	chosen, ok := pick(accounts)
	if !ok {
		return store.Account{}, errors.New("link: no account to link among those the bank lists")
	}
	return attachAccount(ctx, db, groupID, actor, tok.UserSeqNo, chosen)
}

// linkScope is what moimbot asks the bank for: the user's identity and
// read-only inquiries, never transfers.
const linkScope = "login inquiry"

// exchangeCode exchanges an authorization code for a token pair, stores the
// pair encrypted (before anything else can fail: it is the only copy) and
// lists the accounts the user consented to.
func exchangeCode(ctx context.Context, db *store.DB, client *openbanking.Client, code string) (openbanking.Token, []openbanking.Account, error) {
	tok, err := client.ExchangeCode(ctx, code)
	if err != nil {
		return tok, nil, fmt.Errorf("link: %w", err)
	}
	if tok.UserSeqNo == "" {
		return tok, nil, errors.New("link: the token names no user")
	}
	if err := db.PutToken(ctx, tok.UserSeqNo, toStoreToken(tok)); err != nil {
		return tok, nil, fmt.Errorf("link: %w", err)
	}
	list, err := client.NewSession(tok, tokenSaver{db: db, name: tok.UserSeqNo}).AccountList(ctx, openbanking.AccountListOptions{})
	if err != nil {
		return tok, nil, fmt.Errorf("link: %w", err)
	}
	return tok, list.Accounts, nil
}

// attachAccount links a listed account to a group for polling, under the
// stored token tokenName. Linking the same account again (a relink) keeps
// its id and clears its relink mark; an account linked to another group is
// refused.
func attachAccount(ctx context.Context, db *store.DB, groupID, actor, tokenName string, chosen openbanking.Account) (store.Account, error) {
	a := store.Account{GroupID: groupID, FintechUseNum: chosen.FintechUseNum, BankCode: chosen.BankCodeStd,
		BankName: chosen.BankName, Masked: chosen.AccountNumMasked, TokenName: tokenName}
	if err := afterStatements(ctx, db, &a); err != nil {
		return store.Account{}, fmt.Errorf("link: %w", err)
	}
	switch old, err := db.AccountByFintech(ctx, a.FintechUseNum); {
	case err == nil && old.GroupID != groupID:
		return store.Account{}, fmt.Errorf("link: %w", ErrLinkedElsewhere)
	case err == nil:
		a.ID, a.Added = old.ID, old.Added // a relink of the same account
	case !errors.Is(err, store.ErrNotFound):
		return store.Account{}, fmt.Errorf("link: %w", err)
	}
	a, err := db.PutAccount(ctx, actor, a)
	if err != nil {
		return store.Account{}, fmt.Errorf("link: %w", err)
	}
	if err := db.ClearRelink(ctx, actor, a.ID); err != nil {
		return store.Account{}, fmt.Errorf("link: %w", err)
	}
	return a, nil
}

// afterStatements makes a, a bank account being linked to a group that ran
// on statement files, start reading the bank where the files ended: the
// rows they brought stay in the group's statement account and are not
// stored again (see store.Account.StatementThrough).
func afterStatements(ctx context.Context, db *store.DB, a *store.Account) error {
	accts, err := db.Accounts(ctx, a.GroupID)
	if err != nil {
		return err
	}
	for _, o := range accts {
		if o.Source != store.SourceStatement {
			continue
		}
		cur, err := db.Cursor(ctx, o.ID)
		if err != nil {
			return err
		}
		if cur.Rows > 0 {
			a.StatementAccount, a.StatementThrough = o.ID, cur.LastAt
		}
	}
	return nil
}

// ErrLinkedElsewhere is returned when the chosen bank account is already
// linked to another group.
var ErrLinkedElsewhere = errors.New("the bank account is already linked to another group")
