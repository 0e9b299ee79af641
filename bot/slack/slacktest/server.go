package slacktest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Identities and tokens a Server uses unless built with options.
const (
	DefaultBotToken  = "xoxb-100000000001-200000000002-moimbotTESTtoken"
	DefaultAppToken  = "xapp-1-A0MOIM00001-300000000003-moimbotTESTapp"
	DefaultTeamID    = "T0MOIM0001"
	DefaultTeamName  = "Moim Test"
	DefaultBotUserID = "U0MOIMBOT1"
	DefaultBotID     = "B0MOIMBOT1"
	DefaultAppID     = "A0MOIM00001"
	// DefaultPingInterval is how often a Socket Mode connection is pinged
	// unless the server is built WithPingInterval. slack-go's client
	// reconnects when it sees no ping for 30 seconds.
	DefaultPingInterval = 5 * time.Second
)

// Server is a fake Slack Web API and Socket Mode server on a loopback
// httptest.Server. Point a client at APIURL(). All methods are safe for
// concurrent use.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:port, without a
	// trailing slash.
	URL string
	// BotToken and AppToken are the tokens the server accepts.
	BotToken, AppToken string
	// TeamID and BotUserID are the workspace's and the bot user's ids.
	TeamID, BotUserID string

	hs       *httptest.Server
	now      func() time.Time
	pingOpen time.Duration
	done     chan struct{}
	closing  sync.Once
	sockets  sync.WaitGroup // Socket Mode connections' goroutines

	mu        sync.Mutex
	users     map[string]*User
	channels  map[string]*channelState
	dms       map[string]string // user id → D channel id
	files     map[string]File   // by file id
	faults    map[string][]*fault
	calls     []Call
	tickets   map[string]bool // issued by apps.connections.open, unused
	conns     []*socketConn   // open Socket Mode connections, oldest first
	opened    int             // Socket Mode connections ever opened (hello sent)
	envelopes map[string]*envelope
	acks      map[string][]Ack // by envelope id
	changed   chan struct{}    // closed and replaced on every recorded event
	seq       int64
}

// User is a workspace member. A Deleted user cannot be sent a direct
// message (user_disabled).
type User struct {
	ID, Name string
	Deleted  bool
}

// Channel is a conversation the bot may post to: a public (C…) or private
// (G…) channel. A channel the bot is not in answers not_in_channel; an
// archived one is_archived.
type Channel struct {
	ID, Name  string
	NotMember bool
	Archived  bool
}

type channelState struct {
	ch       Channel
	im       bool // a direct message channel (D…)
	messages []*Message
}

// fault is an injected failure of a method.
type fault struct {
	left int
	f    Fault
}

// Fault is a scripted failure (see Server.Fail).
type Fault struct {
	// Status is the HTTP status to answer: 429 (Retry-After set when
	// RetryAfter > 0, body {"ok":false,"error":"ratelimited"}), 5xx (an
	// HTML body, as Slack's edge answers), or 0 for 200.
	Status int
	// RetryAfter is the Retry-After header of a 429, in whole seconds; 0
	// leaves the header out.
	RetryAfter time.Duration
	// Error is the error code of a 200 {"ok":false} answer ("ratelimited",
	// "internal_error", …); used when Status is 0 or 200.
	Error string
}

// Option configures a Server.
type Option func(*Server)

// WithClock sets the clock for message timestamps and recorded call times
// (default time.Now). Socket Mode pings and ack latencies use real time.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithPingInterval sets how often Socket Mode connections are pinged
// (default DefaultPingInterval); 0 or less sends no pings.
func WithPingInterval(d time.Duration) Option { return func(s *Server) { s.pingOpen = d } }

// NewServer starts a Server on a loopback address. Close it when done.
func NewServer(opts ...Option) *Server {
	s := &Server{
		BotToken:  DefaultBotToken,
		AppToken:  DefaultAppToken,
		TeamID:    DefaultTeamID,
		BotUserID: DefaultBotUserID,
		now:       time.Now,
		pingOpen:  DefaultPingInterval,
		done:      make(chan struct{}),
		users:     map[string]*User{},
		channels:  map[string]*channelState{},
		dms:       map[string]string{},
		faults:    map[string][]*fault{},
		tickets:   map[string]bool{},
		envelopes: map[string]*envelope{},
		acks:      map[string][]Ack{},
		changed:   make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", s.serveAPI)
	mux.HandleFunc("GET /socket-mode", s.serveSocket)
	mux.HandleFunc("GET /files-pri/{key}/{rest...}", s.serveFile)
	mux.HandleFunc("GET /signin", serveSignin)
	s.hs = httptest.NewServer(mux)
	s.URL = s.hs.URL
	return s
}

// APIURL is the Web API's base URL with its trailing slash, for
// slack.OptionAPIURL and the adapter's Config.APIURL.
func (s *Server) APIURL() string { return s.URL + "/api/" }

// Close drops the Socket Mode connections, waits for their goroutines and
// shuts the server down. Waiters (WaitFor, WaitAck, …) fail from then on.
func (s *Server) Close() {
	s.closing.Do(func() {
		close(s.done)
		s.DropConnections()
		s.sockets.Wait()
		s.hs.Close()
	})
}

// errClosed is returned by waiters once the server is closed.
var errClosed = errors.New("slacktest: server closed")

// AddUser adds or replaces a workspace member.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := u
	s.users[u.ID] = &cp
}

// AddChannel adds or replaces a channel (its messages are kept when
// replaced). The id must start with C or G.
func (s *Server) AddChannel(c Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.channels[c.ID]; ok {
		st.ch = c
		return
	}
	s.channels[c.ID] = &channelState{ch: c}
}

// DM returns the id of the bot's direct message channel with user,
// creating it as conversations.open does. The user need not be known.
func (s *Server) DM(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dmLocked(user)
}

func (s *Server) dmLocked(user string) string {
	if id, ok := s.dms[user]; ok {
		return id
	}
	id := "D" + strings.TrimLeft(user, "UW")
	if len(id) < 3 {
		id = fmt.Sprintf("D%08d", len(s.dms)+1)
	}
	s.dms[user] = id
	s.channels[id] = &channelState{ch: Channel{ID: id, Name: "directmessage"}, im: true}
	return id
}

// Fail makes the next n calls of method fail with f, after their token
// is checked and before anything else.
func (s *Server) Fail(method string, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], &fault{left: n, f: f})
}

// takeFaultLocked returns the next scripted failure of method, if any.
func (s *Server) takeFaultLocked(method string) (Fault, bool) {
	q := s.faults[method]
	for len(q) > 0 && q[0].left <= 0 {
		q = q[1:]
	}
	s.faults[method] = q
	if len(q) == 0 {
		return Fault{}, false
	}
	q[0].left--
	return q[0].f, true
}

// broadcastLocked wakes the waiters.
func (s *Server) broadcastLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// wait calls check under the lock until it reports done, waking on every
// recorded event; it fails when ctx ends or the server closes.
func (s *Server) wait(ctx context.Context, what string, check func() bool) error {
	for {
		s.mu.Lock()
		ok, changed := check(), s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("slacktest: waited for %s: %w", what, ctx.Err())
		case <-s.done:
			return errClosed
		}
	}
}

// nextSeqLocked returns a number unique within the server.
func (s *Server) nextSeqLocked() int64 {
	s.seq++
	return s.seq
}

// tsLocked returns a new message timestamp, "<unix seconds>.<6 digits>",
// unique within the server and increasing for a fixed clock.
func (s *Server) tsLocked() string {
	n := s.nextSeqLocked()
	return fmt.Sprintf("%d.%06d", s.now().Unix(), n%1_000_000)
}
