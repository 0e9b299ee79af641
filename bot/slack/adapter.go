package slack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"

	"github.com/moimbot/moimbot/bot"
)

// Platform is the ChatRef platform of Slack chats.
const Platform = "slack"

// DefaultAPIURL is the Web API's base URL.
const DefaultAPIURL = "https://slack.com/api/"

const (
	// defaultHTTPTimeout bounds one Web API call of the adapter's own
	// HTTP client.
	defaultHTTPTimeout = 30 * time.Second
	// startupRetryMax bounds the wait between attempts of auth.test.
	startupRetryMax = 30 * time.Second
)

// Config configures an Adapter. BotToken is required, and AppToken or
// SigningSecret (or both); every other field has a default.
type Config struct {
	// BotToken is the bot user OAuth token, "xoxb-…".
	BotToken string
	// AppToken is the app-level token, "xapp-…", with the
	// connections:write scope. When set, Run receives commands and button
	// clicks over Socket Mode.
	AppToken string
	// SigningSecret is the app's signing secret. When set,
	// CommandsHandler, InteractionsHandler and EventsHandler accept
	// requests Slack signed with it (HTTP mode).
	SigningSecret string
	// APIURL is the Web API's base URL; "" means DefaultAPIURL. A missing
	// trailing "/" is added. Tests point it at a slacktest.Server.
	APIURL string
	// HTTPClient makes the Web API calls; nil means a client of the
	// adapter's own with a 30-second timeout.
	HTTPClient *http.Client
	// Handler answers updates; Run requires it, Send does not.
	Handler bot.Handler
	// Log receives the adapter's warnings and errors; nil discards them.
	// Tokens, the signing secret and request bodies are never logged.
	Log *slog.Logger
	// Now is the clock against which request timestamps are checked, and
	// of the pacing; nil means time.Now.
	Now func() time.Time
	// Limits pace Send; the zero value means DefaultLimits.
	Limits Limits
}

// Adapter is the Slack side of moimbot: Run receives commands and clicks
// for the Handler (Socket Mode, or the HTTP handlers), Send delivers
// messages. Create it with New. Send may be called from any goroutine,
// before, during or after Run; run one Run at a time.
type Adapter struct {
	api       *slack.Client
	apiURL    *url.URL
	botToken  string
	appToken  string
	secret    []byte
	client    *http.Client
	ownClient bool
	handler   bot.Handler
	log       *slog.Logger
	now       func() time.Time
	pacer     *pacer

	dms     dmCache
	seen    *seenSet     // envelope and update ids handled
	replays *replayGuard // signatures accepted (HTTP mode)

	running   atomic.Bool
	connected atomic.Bool
	changedMu sync.Mutex
	changed   chan struct{} // closed and replaced when connected changes
	identity  atomic.Pointer[Identity]
	inbox     atomic.Pointer[inbox] // set while Run runs
}

// Identity is who the bot token belongs to, as auth.test answered it: the
// workspace's id and name, the bot user's id and name, and the bot's id.
type Identity struct {
	TeamID, Team string
	UserID, User string
	BotID        string
}

var _ bot.Chat = (*Adapter)(nil)

// New checks cfg and returns an Adapter. It makes no network calls: Run
// does.
func New(cfg Config) (*Adapter, error) {
	switch {
	case cfg.BotToken == "":
		return nil, errors.New("slack: a bot token (xoxb-…) is required")
	case !strings.HasPrefix(cfg.BotToken, "xoxb-"):
		return nil, errors.New("slack: the bot token must start with xoxb-")
	case cfg.AppToken != "" && !strings.HasPrefix(cfg.AppToken, "xapp-"):
		return nil, errors.New("slack: the app token must start with xapp-")
	case cfg.AppToken == "" && cfg.SigningSecret == "":
		return nil, errors.New("slack: set an app token (Socket Mode) or a signing secret (HTTP mode)")
	}
	raw := cfg.APIURL
	if raw == "" {
		raw = DefaultAPIURL
	}
	if !strings.HasSuffix(raw, "/") {
		raw += "/"
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("slack: API URL %q is not an http(s) base URL", cfg.APIURL)
	}
	client, own := cfg.HTTPClient, false
	if client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		// The dispatcher sends to several channels at once: keep their
		// connections.
		tr.MaxIdleConnsPerHost = 16
		client, own = &http.Client{Timeout: defaultHTTPTimeout, Transport: tr}, true
	}
	lg := cfg.Log
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	a := &Adapter{
		apiURL:    u,
		botToken:  cfg.BotToken,
		appToken:  cfg.AppToken,
		secret:    []byte(cfg.SigningSecret),
		client:    client,
		ownClient: own,
		handler:   cfg.Handler,
		log:       lg,
		now:       now,
		pacer:     newPacer(cfg.Limits),
		seen:      newSeenSet(seenCapacity),
		replays:   newReplayGuard(),
		changed:   make(chan struct{}),
	}
	opts := []slack.Option{
		slack.OptionAPIURL(u.String()),
		slack.OptionHTTPClient(client),
		// slack-go logs only in debug mode, which stays off; discard
		// anyway, it would print request details.
		slack.OptionLog(log.New(io.Discard, "", 0)),
	}
	if cfg.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(cfg.AppToken))
	}
	a.api = slack.New(cfg.BotToken, opts...)
	return a, nil
}

// SocketMode reports whether Run receives updates over Socket Mode (an app
// token is set).
func (a *Adapter) SocketMode() bool { return a.appToken != "" }

// Identity returns the bot's identity as auth.test answered it when Run
// started; false before.
func (a *Adapter) Identity() (Identity, bool) {
	if p := a.identity.Load(); p != nil {
		return *p, true
	}
	return Identity{}, false
}

// Connected reports whether the adapter can receive updates now: in Socket
// Mode while a WebSocket connection is open, in HTTP mode while Run runs
// after auth.test succeeded. It is meant for a readiness probe.
func (a *Adapter) Connected() bool { return a.connected.Load() }

// WaitConnected blocks until Connected reports true, or ctx ends.
func (a *Adapter) WaitConnected(ctx context.Context) error {
	for {
		a.changedMu.Lock()
		changed := a.changed
		a.changedMu.Unlock()
		if a.connected.Load() {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("slack: wait connected: %w", ctx.Err())
		}
	}
}

// setConnected records whether the adapter can receive updates.
func (a *Adapter) setConnected(v bool) {
	if a.connected.Swap(v) == v {
		return
	}
	a.changedMu.Lock()
	defer a.changedMu.Unlock()
	close(a.changed)
	a.changed = make(chan struct{})
}

// Run receives updates and hands them to the Handler until ctx is done,
// then waits for the Handler calls in progress and returns nil. It first
// calls auth.test, retrying transient failures with backoff; a permanent
// failure (a revoked or wrong token) is returned as an error. In Socket
// Mode it then keeps a WebSocket connection open, reconnecting after a
// drop; an app token Slack refuses ends Run with an error. In HTTP mode it
// only runs the per-chat queues that CommandsHandler and
// InteractionsHandler feed. When ctx ends, the updates already received
// are still handled, for up to bot.DrainGrace; those left then are
// dropped (and logged as a count).
func (a *Adapter) Run(ctx context.Context) error {
	if a.handler == nil {
		return errors.New("slack: run: no handler")
	}
	if !a.running.CompareAndSwap(false, true) {
		return errors.New("slack: run: already running")
	}
	defer a.running.Store(false)
	defer func() {
		if a.ownClient {
			a.client.CloseIdleConnections()
		}
	}()

	if err := a.authTest(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	in := newInbox(ctx, a)
	a.inbox.Store(in)
	var err error
	if a.SocketMode() {
		err = a.runSocket(ctx, in)
	} else {
		id, _ := a.Identity()
		a.log.Info("slack: waiting for HTTP requests", "team_id", id.TeamID, "bot_user_id", id.UserID)
		a.setConnected(true)
		<-ctx.Done()
	}
	a.setConnected(false)
	a.inbox.Store(nil)
	if dropped := in.Close(); dropped > 0 {
		a.log.Warn("slack: updates dropped at shutdown", "count", dropped)
	}
	return err
}

// authTest calls auth.test until it succeeds, ctx ends or it fails
// permanently, waiting between attempts: Retry-After for a 429, else 1s
// doubling up to 30s.
func (a *Adapter) authTest(ctx context.Context) error {
	wait := time.Second
	for {
		res, err := a.api.AuthTestContext(ctx)
		if err == nil {
			a.identity.Store(&Identity{TeamID: res.TeamID, Team: res.Team, UserID: res.UserID, User: res.User, BotID: res.BotID})
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		msg := a.sanitize(err.Error())
		if permanentAuth(err) {
			return fmt.Errorf("slack: auth test: %s", msg)
		}
		delay := wait
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) && rl.RetryAfter > 0 {
			delay = rl.RetryAfter
		} else {
			wait = min(2*wait, startupRetryMax)
		}
		a.log.Warn("slack: auth test failed, retrying", "err", msg, "retry_in", delay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// permanentAuth reports whether err from auth.test or
// apps.connections.open means the token will never work: an error code
// about the token, or a 4xx other than 429 (a wrong API URL).
func permanentAuth(err error) bool {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
			"not_allowed_token_type", "no_permission", "missing_scope", "team_access_not_granted",
			"ekm_access_denied", "org_login_required", "invalid_token", "two_factor_setup_required":
			return true
		}
		return false
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return sc.Code >= 400 && sc.Code < 500 && sc.Code != http.StatusTooManyRequests
	}
	return false
}

// sanitize removes the tokens and the signing secret from s.
func (a *Adapter) sanitize(s string) string {
	for _, secret := range []string{a.botToken, a.appToken, string(a.secret)} {
		if secret == "" {
			continue
		}
		s = strings.ReplaceAll(s, secret, "<redacted>")
		if esc := url.QueryEscape(secret); esc != secret {
			s = strings.ReplaceAll(s, esc, "<redacted>")
		}
	}
	return s
}

// dmCache remembers the bot's direct message channel (D…) with each user,
// opening it once per user even when several sends want it at once.
type dmCache struct {
	mu      sync.Mutex
	ids     map[string]string        // user → D… id
	pending map[string]chan struct{} // user → closed when an open ends
}

// dmChannel returns the id of the bot's direct message channel with user,
// calling conversations.open the first time.
func (a *Adapter) dmChannel(ctx context.Context, user string) (string, error) {
	c := &a.dms
	for {
		c.mu.Lock()
		if id, ok := c.ids[user]; ok {
			c.mu.Unlock()
			return id, nil
		}
		if ch, ok := c.pending[user]; ok {
			c.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		if c.pending == nil {
			c.pending, c.ids = map[string]chan struct{}{}, map[string]string{}
		}
		ch := make(chan struct{})
		c.pending[user] = ch
		c.mu.Unlock()

		im, _, _, err := a.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}})
		id := ""
		if err == nil && im != nil {
			id = im.ID
		}
		if err == nil && id == "" {
			err = errors.New("conversations.open answered no channel")
		}
		c.mu.Lock()
		delete(c.pending, user)
		if err == nil {
			c.ids[user] = id
		}
		close(ch)
		c.mu.Unlock()
		return id, err
	}
}

// forgetDM drops user's cached channel (it was not found).
func (a *Adapter) forgetDM(user string) {
	a.dms.mu.Lock()
	defer a.dms.mu.Unlock()
	delete(a.dms.ids, user)
}
