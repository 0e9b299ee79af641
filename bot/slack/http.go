package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

const (
	// MaxRequestBody bounds the body of a request to CommandsHandler,
	// InteractionsHandler or EventsHandler; a larger one is answered 413.
	MaxRequestBody = 64 << 10
	// SignatureWindow is how far a request's timestamp may be from the
	// adapter's clock, either way; the window in which a replayed request
	// is recognised by its signature.
	SignatureWindow = 5 * time.Minute
)

// Signature verification failures.
var (
	errNoSignature  = errors.New("missing signature headers")
	errBadTimestamp = errors.New("malformed timestamp")
	errStale        = errors.New("timestamp outside the 5-minute window")
	errBadSignature = errors.New("signature mismatch")
	errReplay       = errors.New("replay of an accepted request")
)

// CommandsHandler returns the handler for Slack's slash command requests
// in HTTP mode, to be mounted at the command's request URL
// (POST /slack/commands). It answers 404 unless Config.SigningSecret is
// set, 405 to anything but POST, 413 to a body over MaxRequestBody, 401
// when the request is not signed with the secret at a timestamp within
// SignatureWindow of the clock, or replays an accepted request, 400 to a
// body that is not a slash command, and 503 while Run is not running.
// Otherwise it queues the command for the Handler and answers 200 with
// an empty body at once; replies go out through Send.
func (a *Adapter) CommandsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.serveSigned(w, r, "commands", func(body []byte) (item, verdict, []byte) {
			form, err := url.ParseQuery(string(body))
			switch {
			case err != nil:
				return item{}, malformed, nil
			case form.Get("ssl_check") == "1":
				return item{}, ignore, nil
			}
			if it, ok := commandItem(slashCommand(form), body); ok {
				return it, queue, nil
			}
			return item{}, malformed, nil
		})
	})
}

// InteractionsHandler returns the handler for Slack's interactivity
// requests in HTTP mode, to be mounted at the app's interactivity request
// URL (POST /slack/interactions). It checks requests as CommandsHandler
// does; the form's "payload" field is the interaction's JSON. A click on
// a button or menu option is queued for the Handler; other interactions
// are acknowledged and ignored.
func (a *Adapter) InteractionsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.serveSigned(w, r, "interactions", func(body []byte) (item, verdict, []byte) {
			form, err := url.ParseQuery(string(body))
			payload := form.Get("payload")
			var cb slack.InteractionCallback
			if err != nil || payload == "" || json.Unmarshal([]byte(payload), &cb) != nil {
				return item{}, malformed, nil
			}
			if it, ok := interactionItem(cb, []byte(payload)); ok {
				return it, queue, nil
			}
			return item{}, ignore, nil
		})
	})
}

// verdict is what serveSigned does with a request's update.
type verdict int

const (
	queue     verdict = iota // hand it to the Handler
	ignore                   // acknowledge it, nothing to handle
	answer                   // answer 200 with a body (a challenge)
	malformed                // answer 400
)

// serveSigned checks a request from Slack and does what convert makes of
// its body.
func (a *Adapter) serveSigned(w http.ResponseWriter, r *http.Request, endpoint string, convert func(body []byte) (item, verdict, []byte)) {
	if len(a.secret) == 0 {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			a.log.Warn("slack: request body too large", "endpoint", endpoint, "remote", remoteIP(r))
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read the request", http.StatusBadRequest)
		return
	}
	if err := a.verify(r.Header, body); err != nil {
		// Neither the body nor the signature is logged.
		a.log.Warn("slack: request rejected", "endpoint", endpoint, "reason", err.Error(), "remote", remoteIP(r))
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	it, v, reply := convert(body)
	switch v {
	case malformed:
		http.Error(w, "not a Slack request", http.StatusBadRequest)
		return
	case ignore:
		w.WriteHeader(http.StatusOK)
		return
	case answer:
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(reply)
		return
	}
	in := a.inbox.Load()
	if in == nil || !a.accept(r.Context(), in, it) {
		http.Error(w, "not running", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// slashCommand reads a slash command from its form.
func slashCommand(f url.Values) slack.SlashCommand {
	return slack.SlashCommand{
		TeamID:      f.Get("team_id"),
		ChannelID:   f.Get("channel_id"),
		ChannelName: f.Get("channel_name"),
		UserID:      f.Get("user_id"),
		UserName:    f.Get("user_name"),
		Command:     f.Get("command"),
		Text:        f.Get("text"),
		ResponseURL: f.Get("response_url"),
		TriggerID:   f.Get("trigger_id"),
		APIAppID:    f.Get("api_app_id"),
	}
}

// verify checks Slack's signature of a request: X-Slack-Signature must be
// "v0=" and the hex HMAC-SHA256, keyed with the signing secret, of
// "v0:<X-Slack-Request-Timestamp>:<body>"; the timestamp within
// SignatureWindow of the adapter's clock; and the signature not one
// accepted before.
func (a *Adapter) verify(h http.Header, body []byte) error {
	tsText, sig := h.Get("X-Slack-Request-Timestamp"), h.Get("X-Slack-Signature")
	if tsText == "" || sig == "" {
		return errNoSignature
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil || ts <= 0 {
		return errBadTimestamp
	}
	now := a.now()
	at := time.Unix(ts, 0)
	if d := now.Sub(at); d > SignatureWindow || d < -SignatureWindow {
		return errStale
	}
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	got, err := hex.DecodeString(hexSig)
	if !ok || err != nil || len(got) != sha256.Size {
		return errBadSignature
	}
	mac := hmac.New(sha256.New, a.secret)
	mac.Write([]byte("v0:" + tsText + ":"))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return errBadSignature
	}
	if !a.replays.first(hexSig, at.Add(SignatureWindow), now) {
		return errReplay
	}
	return nil
}

// replayGuard remembers the signatures of accepted requests until their
// timestamps leave the window, after which the timestamp check rejects
// them anyway. It is safe for concurrent use.
type replayGuard struct {
	mu    sync.Mutex
	until map[string]time.Time
	prune int // size at which expired entries are dropped next
}

func newReplayGuard() *replayGuard {
	return &replayGuard{until: map[string]time.Time{}, prune: 1024}
}

// first records sig, remembered until expires, and reports whether it
// was not seen before.
func (g *replayGuard) first(sig string, expires, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t, ok := g.until[sig]; ok && !t.Before(now) {
		return false
	}
	if len(g.until) >= g.prune {
		for k, t := range g.until {
			if t.Before(now) {
				delete(g.until, k)
			}
		}
		g.prune = max(1024, 2*len(g.until))
	}
	g.until[sig] = expires
	return true
}

// remoteIP returns the request's client address without the port, for
// logs.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
