package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/moimbot/moimbot/bot"
)

// Platform is the ChatRef platform of Telegram chats.
const Platform = "telegram"

// Defaults of Config.
const (
	// DefaultAPIURL is the Bot API's base URL.
	DefaultAPIURL = "https://api.telegram.org"
	// DefaultPollTimeout is how long one getUpdates call waits for updates.
	DefaultPollTimeout = 50 * time.Second
	// MinPollTimeout is the shortest PollTimeout: getUpdates is asked to
	// wait PollTimeout less a second, and 0 would make it poll in a hot
	// loop.
	MinPollTimeout = 2 * time.Second
	// maxWebhookBody bounds a webhook request's body.
	maxWebhookBody = 1 << 20
	// startupRetryMax bounds the wait between attempts of Run's startup
	// calls.
	startupRetryMax = 30 * time.Second
)

// allowedUpdates are the update types Run asks Telegram for.
var allowedUpdates = tg.AllowedUpdates{
	models.AllowedUpdateMessage,
	models.AllowedUpdateCallbackQuery,
	models.AllowedUpdateMyChatMember,
}

var (
	tokenPattern  = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)
	secretPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
)

// Config configures an Adapter. Token is required; every other field has a
// default.
type Config struct {
	// Token is the bot's token from @BotFather, "123456:ABC-…".
	Token string
	// APIURL is the Bot API's base URL; "" means DefaultAPIURL. Tests point
	// it at a telegramtest.Server.
	APIURL string
	// HTTPClient makes the API calls; nil means a client of the adapter's
	// own with a timeout of PollTimeout + 15s. A client's Timeout, if set,
	// must exceed PollTimeout.
	HTTPClient *http.Client
	// Handler answers updates; Run requires it, Send does not.
	Handler bot.Handler
	// Log receives the adapter's warnings and errors; nil discards them.
	// The token is never logged.
	Log *slog.Logger
	// PollTimeout is how long one getUpdates call may wait; 0 means
	// DefaultPollTimeout, else at least MinPollTimeout.
	PollTimeout time.Duration
	// WebhookSecret, when set, puts the adapter in webhook mode: Run does
	// not poll, and WebhookHandler accepts updates carrying this secret in
	// the X-Telegram-Bot-Api-Secret-Token header (1–256 characters of
	// A-Z, a-z, 0-9, _ and -, as setWebhook's secret_token).
	WebhookSecret string
	// WebhookURL, in webhook mode, is the public HTTPS URL where
	// WebhookHandler is served: Run registers it with setWebhook. Empty
	// leaves registering the webhook to the operator.
	WebhookURL string
	// Limits pace Send; the zero value means DefaultLimits.
	Limits Limits
}

// Adapter is the Telegram side of moimbot: Run receives updates for the
// Handler, Send delivers messages. Create it with New. Send may be called
// from any goroutine, before, during or after Run; run one Run at a time.
type Adapter struct {
	api       *tg.Bot
	apiURL    string // without a trailing slash
	token     string
	handler   bot.Handler
	log       *slog.Logger
	secret    string
	hookURL   string
	client    *http.Client
	ownClient bool
	pacer     *pacer
	now       func() time.Time

	running  atomic.Bool
	username atomic.Pointer[string]
	inbox    atomic.Pointer[inbox] // set while Run runs
	// connected is set once Run's startup calls succeeded, until it
	// returns.
	connected atomic.Bool
}

var (
	_ bot.Chat           = (*Adapter)(nil)
	_ bot.FileFetcher    = (*Adapter)(nil)
	_ bot.MessageDeleter = (*Adapter)(nil)
)

// New checks cfg and returns an Adapter. It makes no network calls: Run
// does.
func New(cfg Config) (*Adapter, error) {
	if !tokenPattern.MatchString(cfg.Token) {
		return nil, errors.New("telegram: malformed token: want digits, a colon and letters, digits, _ or -")
	}
	apiURL := strings.TrimRight(cfg.APIURL, "/")
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("telegram: API URL %q is not an http(s) base URL", cfg.APIURL)
	}
	poll := cfg.PollTimeout
	switch {
	case poll == 0:
		poll = DefaultPollTimeout
	case poll < MinPollTimeout:
		return nil, fmt.Errorf("telegram: poll timeout %v is shorter than %v", poll, MinPollTimeout)
	}
	if cfg.WebhookSecret != "" && !secretPattern.MatchString(cfg.WebhookSecret) {
		return nil, errors.New("telegram: webhook secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
	}
	client, own := cfg.HTTPClient, false
	if client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		// The dispatcher sends to several chats at once: keep their
		// connections.
		tr.MaxIdleConnsPerHost = 16
		client, own = &http.Client{Timeout: poll + 15*time.Second, Transport: tr}, true
	} else if client.Timeout != 0 && client.Timeout <= poll {
		return nil, fmt.Errorf("telegram: HTTP client timeout %v must exceed the poll timeout %v", client.Timeout, poll)
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Adapter{
		apiURL:    apiURL,
		token:     cfg.Token,
		handler:   cfg.Handler,
		log:       log,
		secret:    cfg.WebhookSecret,
		hookURL:   cfg.WebhookURL,
		client:    client,
		ownClient: own,
		pacer:     newPacer(cfg.Limits),
		now:       time.Now,
	}
	a.api, err = tg.New(cfg.Token,
		tg.WithSkipGetMe(), // New does no I/O; Run calls getMe
		tg.WithServerURL(apiURL),
		tg.WithHTTPClient(poll, client),
		tg.WithAllowedUpdates(allowedUpdates),
		// One worker running the default handler inline: it only queues
		// the update for its chat, in the order getUpdates returned them.
		tg.WithWorkers(1),
		tg.WithNotAsyncHandlers(),
		tg.WithDefaultHandler(a.onUpdate),
		tg.WithErrorsHandler(a.onLibraryError),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram: %s", a.sanitize(err.Error()))
	}
	return a, nil
}

// Username returns the bot's username without the "@", as getMe answered
// it when Run started; "" before.
func (a *Adapter) Username() string {
	if p := a.username.Load(); p != nil {
		return *p
	}
	return ""
}

// Run receives updates and hands them to the Handler until ctx is done,
// then waits for the Handler calls in progress and returns nil. It first
// calls getMe, deleteWebhook (long polling) or setWebhook (webhook mode
// with a WebhookURL) and setMyCommands; a transient failure of the first
// two is retried with backoff, a
// permanent one (a wrong token) is returned. Failures of setMyCommands are
// logged only. In webhook mode Run only starts the per-chat queues
// WebhookHandler feeds. When ctx ends, the updates already received are
// still handled, for up to bot.DrainGrace; those left then are dropped
// (and logged as a count).
func (a *Adapter) Run(ctx context.Context) error {
	if a.handler == nil {
		return errors.New("telegram: run: no handler")
	}
	if !a.running.CompareAndSwap(false, true) {
		return errors.New("telegram: run: already running")
	}
	defer a.running.Store(false)
	defer func() {
		if a.ownClient {
			a.client.CloseIdleConnections()
		}
	}()

	err := a.startup(ctx, "get me", func(ctx context.Context) error {
		me, err := a.api.GetMe(ctx)
		if err == nil {
			a.username.Store(&me.Username)
		}
		return err
	})
	if err == nil && a.secret == "" {
		err = a.startup(ctx, "delete webhook", func(ctx context.Context) error {
			_, err := a.api.DeleteWebhook(ctx, &tg.DeleteWebhookParams{})
			return err
		})
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	// The inbox is ready before the webhook is set, so that the updates
	// Telegram posts as soon as it is are accepted.
	in := newInbox(ctx, a)
	a.inbox.Store(in)
	if a.secret != "" && a.hookURL != "" {
		err = a.startup(ctx, "set webhook", func(ctx context.Context) error {
			_, err := a.api.SetWebhook(ctx, &tg.SetWebhookParams{URL: a.hookURL, SecretToken: a.secret, AllowedUpdates: allowedUpdates})
			return err
		})
		if err != nil {
			a.inbox.Store(nil)
			in.Close()
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
	a.connected.Store(true)
	defer a.connected.Store(false)
	a.setCommands(ctx)
	if a.secret == "" {
		a.log.Info("telegram: long polling", "bot", a.Username())
		a.api.Start(ctx) // returns once ctx is done and its goroutines ended
	} else {
		a.log.Info("telegram: waiting for webhook updates", "bot", a.Username())
		<-ctx.Done()
	}
	a.inbox.Store(nil)
	if dropped := in.Close(); dropped > 0 {
		a.log.Warn("telegram: updates dropped at shutdown", "count", dropped)
	}
	return nil
}

// startup calls fn until it succeeds, ctx ends or it fails permanently,
// waiting between attempts: retry_after for a 429, else 1s doubling up to
// 30s.
func (a *Adapter) startup(ctx context.Context, op string, fn func(context.Context) error) error {
	wait := time.Second
	for {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		msg := a.sanitize(err.Error())
		if errors.Is(err, tg.ErrorUnauthorized) || errors.Is(err, tg.ErrorNotFound) || errors.Is(err, tg.ErrorBadRequest) {
			return fmt.Errorf("telegram: %s: %s", op, msg)
		}
		delay := wait
		var tmr *tg.TooManyRequestsError
		if errors.As(err, &tmr) && tmr.RetryAfter > 0 {
			delay = time.Duration(tmr.RetryAfter) * time.Second
		} else {
			wait = min(2*wait, startupRetryMax)
		}
		a.log.Warn("telegram: startup call failed, retrying", "op", op, "err", msg, "retry_in", delay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// commandLanguages are the command menus' languages: Korean for everyone
// (no language code), English for English-speaking clients.
var commandLanguages = []struct {
	lang bot.Lang
	code string
}{{bot.Korean, ""}, {bot.English, "en"}}

// setCommands sets the command menus of group and private chats.
func (a *Adapter) setCommands(ctx context.Context) {
	scopes := []struct {
		name  string
		scope models.BotCommandScope
		place bot.Place
	}{
		{"all_group_chats", &models.BotCommandScopeAllGroupChats{}, bot.PlaceGroup},
		{"all_private_chats", &models.BotCommandScopeAllPrivateChats{}, bot.PlaceDM},
	}
	for _, s := range scopes {
		for _, l := range commandLanguages {
			cmds := menu(l.lang, s.place)
			_, err := a.api.SetMyCommands(ctx, &tg.SetMyCommandsParams{Commands: cmds, Scope: s.scope, LanguageCode: l.code})
			if err != nil && ctx.Err() == nil {
				a.log.Warn("telegram: set commands failed", "scope", s.name, "language", l.code, "err", a.sanitize(err.Error()))
			}
		}
	}
}

// maxCommandDescription is Telegram's limit on a command's description, in
// characters.
const maxCommandDescription = 256

// menu returns the command menu of a place in lang: every command a
// treasurer may use there. The Korean menu names each command's Korean
// form too, since Telegram's menu can only show the Latin one.
func menu(lang bot.Lang, place bot.Place) []models.BotCommand {
	var out []models.BotCommand
	for _, h := range bot.HelpCommands(lang, bot.RoleTreasurer, place) {
		desc := h.Description
		if lang == bot.Korean && h.Korean != "" {
			if d := "/" + h.Korean + " — " + desc; utf8.RuneCountInString(d) <= maxCommandDescription {
				desc = d
			}
		}
		out = append(out, models.BotCommand{Command: string(h.Name), Description: desc})
	}
	return out
}

// onLibraryError logs what go-telegram/bot reports (failed polls, mostly).
func (a *Adapter) onLibraryError(err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	a.log.Warn("telegram: client error", "err", a.sanitize(err.Error()))
}

// sanitize removes the token from s: go-telegram/bot puts it in the URLs of
// some errors.
func (a *Adapter) sanitize(s string) string {
	if a.token == "" {
		return s
	}
	s = strings.ReplaceAll(s, a.token, "<token>")
	if esc := url.PathEscape(a.token); esc != a.token {
		s = strings.ReplaceAll(s, esc, "<token>")
	}
	return s
}
