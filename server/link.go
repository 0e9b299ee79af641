package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/openbanking"
	"github.com/moimbot/moimbot/store"
)

// newBankClient returns a KFTC client whose transaction-list calls are
// counted at the transport (see callCounter). cfg.HTTPClient, when set,
// keeps its settings and gets the counting transport in front of its own.
func newBankClient(cfg openbanking.Config) (*openbanking.Client, *callCounter, error) {
	base := http.DefaultTransport.(*http.Transport).Clone()
	// Many accounts are polled concurrently against one host.
	base.MaxIdleConnsPerHost = 64
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		copied := *cfg.HTTPClient
		hc = &copied
	}
	var next http.RoundTripper = base
	if hc.Transport != nil {
		next = hc.Transport
	}
	counter := &callCounter{next: next}
	hc.Transport = counter
	cfg.HTTPClient = hc
	c, err := openbanking.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	return c, counter, nil
}

// maxConcurrentPolls bounds the sync passes an engine runs at once. The
// scale benchmark found 32 near the best on two cores: 8 took three times
// as long for 10,000 accounts, 128 was only 10% faster.
const maxConcurrentPolls = 32

// engineParts are what an engine is wired from.
type engineParts struct {
	db     *store.DB
	client *openbanking.Client
	calls  *callCounter
	chats  map[string]bot.Chat
	now    func() time.Time
	log    *slog.Logger
	idle   time.Duration // the dispatcher's wait when idle; 0: 1 s
	onSent func(bot.Message)
	plan   func(store.Group) cron.Schedule
	grace  time.Duration
}

// newEngine wires an engine; it does no I/O.
func newEngine(p engineParts) *engine {
	if p.now == nil {
		p.now = time.Now
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.grace == 0 {
		p.grace = bot.DefaultReminderGrace
	}
	notes := &notifier{now: p.now, log: p.log, grace: p.grace}
	p.db.SetDeadLetter(notes.deadLetter)
	s := newSyncer(p.db, p.client, p.calls, p.now, p.log)
	s.notify, s.relink = notes.deposit, notes.relink
	d := &bot.Dispatcher{Outbox: outbox{p.db}, Chats: p.chats, Now: p.now, Log: p.log, Idle: p.idle,
		OnDead: notes.onDead, OnSent: p.onSent}
	return &engine{db: p.db, sync: s, dispatch: d, notes: notes, now: p.now, log: p.log, schedule: p.plan, grace: p.grace,
		slots: make(chan struct{}, maxConcurrentPolls)}
}

// linkAccount links a group's bank account the way a treasurer does: the
// client builds the authorization URL, consent is given (in a browser, or
// by script through consent, which returns the redirect to the callback),
// the code is exchanged for a token pair, which is stored encrypted, and
// the account the bank lists is linked to the group for polling. pick
// chooses the account among those listed; nil takes the first.
func linkAccount(ctx context.Context, db *store.DB, client *openbanking.Client, groupID, actor string,
	consent func(ctx context.Context, authorizeURL string) (*url.URL, error),
	pick func([]openbanking.Account) (openbanking.Account, bool)) (store.Account, error) {
	state := openbanking.NewState()
	authURL, err := client.AuthorizeURL(state, openbanking.AuthorizeOptions{Scope: "login inquiry"})
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
	tok, err := client.ExchangeCode(ctx, cb.Code)
	if err != nil {
		return store.Account{}, fmt.Errorf("link: %w", err)
	}
	if tok.UserSeqNo == "" {
		return store.Account{}, errors.New("link: the token names no user")
	}
	// Store the pair before anything else can fail: it is the only copy.
	if err := db.PutToken(ctx, tok.UserSeqNo, toStoreToken(tok)); err != nil {
		return store.Account{}, fmt.Errorf("link: %w", err)
	}
	list, err := client.NewSession(tok, tokenSaver{db: db, name: tok.UserSeqNo}).AccountList(ctx, openbanking.AccountListOptions{})
	if err != nil {
		return store.Account{}, fmt.Errorf("link: %w", err)
	}
	if pick == nil {
		pick = func(as []openbanking.Account) (openbanking.Account, bool) {
			if len(as) == 0 {
				return openbanking.Account{}, false
			}
			return as[0], true
		}
	}
	chosen, ok := pick(list.Accounts)
	if !ok {
		return store.Account{}, errors.New("link: no account to link among those the bank lists")
	}
	a := store.Account{GroupID: groupID, FintechUseNum: chosen.FintechUseNum, BankCode: chosen.BankCodeStd,
		BankName: chosen.BankName, Masked: chosen.AccountNumMasked, TokenName: tok.UserSeqNo}
	switch old, err := db.AccountByFintech(ctx, a.FintechUseNum); {
	case err == nil && old.GroupID != groupID:
		return store.Account{}, fmt.Errorf("link: the bank account is already linked to another group (%s)", old.GroupID)
	case err == nil:
		a.ID, a.Added = old.ID, old.Added // a relink of the same account
	case !errors.Is(err, store.ErrNotFound):
		return store.Account{}, fmt.Errorf("link: %w", err)
	}
	if a, err = db.PutAccount(ctx, actor, a); err != nil {
		return store.Account{}, fmt.Errorf("link: %w", err)
	}
	if err := db.ClearRelink(ctx, actor, a.ID); err != nil {
		return store.Account{}, fmt.Errorf("link: %w", err)
	}
	return a, nil
}
