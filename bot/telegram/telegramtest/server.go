package telegramtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultToken is the token a Server accepts unless built WithToken. The
// digits before the colon are the default bot's ID, as in real tokens.
const DefaultToken = "7000000001:TEST-moimbot-token"

// DefaultBot returns the identity getMe answers unless the server is built
// WithBot: ID 7000000001 (DefaultToken's), username moim_test_bot.
func DefaultBot() User {
	return User{
		ID:            7000000001,
		IsBot:         true,
		FirstName:     "Moim Test",
		Username:      "moim_test_bot",
		CanJoinGroups: true,
	}
}

// DefaultMaxPollTimeout caps getUpdates' timeout unless the server is built
// WithMaxPollTimeout.
const DefaultMaxPollTimeout = 60 * time.Second

// Server is a fake Telegram Bot API server on a loopback httptest.Server.
// Point a client at URL: go-telegram/bot with bot.WithServerURL(srv.URL),
// moimbot with MOIMBOT_TELEGRAM_API_URL=srv.URL. All methods are safe for
// concurrent use.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:port, without a
	// trailing slash.
	URL string
	// Token is the bot token the server accepts in /bot<token>/<method>.
	Token string

	hs        *httptest.Server
	bot       User
	now       func() time.Time
	maxPoll   time.Duration
	done      chan struct{}
	closeOnce sync.Once

	mu          sync.Mutex
	users       map[int64]*userState
	chats       map[int64]*chatState
	logs        map[int64]*chatLog
	files       map[string]*storedFile
	filesByPath map[string]*storedFile
	queries     map[string]*queryState
	commands    map[commandKey][]BotCommand
	updates     []Update
	lastUpdate  int64
	notify      chan struct{} // closed and replaced when an update is queued
	pollKick    chan struct{} // closed to end the pending getUpdates with 409
	allowed     []string      // nil: Telegram's default
	webhook     string
	faults      map[string][]*fault
	limiter     *limiter
	throttled   int
	calls       []Call
	downloads   []Download
	polling     int           // getUpdates calls waiting now
	changed     chan struct{} // closed and replaced when a call is recorded or a poll starts waiting
	seq         int64
}

type userState struct {
	user    User
	started bool
	blocked bool
}

type chatState struct {
	chat       Chat
	botStatus  string // StatusMember, StatusLeft or StatusKicked
	migratedTo int64
}

type chatLog struct {
	lastID  int
	byID    map[int]*storedMessage
	order   []int
	deleted []int // by deleteMessage, in order
}

type storedMessage struct {
	msg     Message
	fromBot bool
	deleted bool
}

type storedFile struct {
	file   File
	upload Upload
	fault  FileFault
}

// reported is the File getFile answers: the stored one with a scripted
// size, if any.
func (f *storedFile) reported() File {
	file := f.file
	if f.fault.Size != 0 {
		file.FileSize = f.fault.Size
	}
	return file
}

type queryState struct {
	answered bool
}

type commandKey struct {
	scope CommandScope
	lang  string
}

type fault struct {
	left       int
	code       int
	desc       string
	retryAfter int
}

// apiError is an error answer. code 499 marks a request the client gave up
// on: nothing is written.
type apiError struct {
	code       int
	desc       string
	retryAfter int
	migrateTo  int64
}

var errClientGone = &apiError{code: 499, desc: "client closed request"}

// Option configures a Server.
type Option func(*Server)

// WithToken sets the accepted token (default DefaultToken).
func WithToken(token string) Option { return func(s *Server) { s.Token = token } }

// WithBot sets the identity getMe answers (default DefaultBot). IsBot is
// always true.
func WithBot(u User) Option { return func(s *Server) { s.bot = u } }

// WithClock sets the clock for message dates, recorded call times and rate
// limits (default time.Now). Long-poll timeouts always use real time.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithLimits enforces flood limits on sending methods; see Limits.
func WithLimits(l Limits) Option { return func(s *Server) { s.limiter = newLimiter(l) } }

// WithMaxPollTimeout caps getUpdates' timeout parameter (default
// DefaultMaxPollTimeout).
func WithMaxPollTimeout(d time.Duration) Option { return func(s *Server) { s.maxPoll = d } }

// NewServer starts a fake Bot API server on a loopback address. The caller
// must Close it.
func NewServer(opts ...Option) *Server {
	s := &Server{
		Token:       DefaultToken,
		bot:         DefaultBot(),
		now:         time.Now,
		maxPoll:     DefaultMaxPollTimeout,
		done:        make(chan struct{}),
		users:       map[int64]*userState{},
		chats:       map[int64]*chatState{},
		logs:        map[int64]*chatLog{},
		files:       map[string]*storedFile{},
		filesByPath: map[string]*storedFile{},
		queries:     map[string]*queryState{},
		commands:    map[commandKey][]BotCommand{},
		notify:      make(chan struct{}),
		faults:      map[string][]*fault{},
		changed:     make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	s.bot.IsBot = true
	s.hs = httptest.NewServer(s)
	s.URL = s.hs.URL
	return s
}

// Close ends pending long polls and shuts the server down, waiting for
// requests in flight. It may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.hs.Close()
	})
}

// Bot returns the bot's identity as getMe answers it.
func (s *Server) Bot() User { return s.bot }

// ServeHTTP answers Bot API requests: POST or GET /bot<token>/<method> (also
// /bot<token>/test/<method>), and file downloads at
// GET /file/bot<token>/<file_path>.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/file/bot"); ok {
		s.serveFile(w, r, rest)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	if !ok {
		writeError(w, &apiError{code: http.StatusNotFound, desc: "Not Found"})
		return
	}
	token, name, _ := strings.Cut(rest, "/")
	name = strings.TrimPrefix(name, "test/")
	m, known := methods[strings.ToLower(name)]
	if known {
		name = m.name
	}
	p, perr := readParams(w, r)
	call := Call{Method: name, Params: p.values, Time: s.now()}
	call.fill(p)
	rq := &request{ctx: r.Context(), params: p, call: &call}

	var result any
	var aerr *apiError
	switch {
	case token != s.Token:
		aerr = &apiError{code: http.StatusUnauthorized, desc: "Unauthorized"}
	case !known:
		aerr = &apiError{code: http.StatusNotFound, desc: "Not Found"}
	case perr != nil:
		var tooBig *http.MaxBytesError
		if errors.As(perr, &tooBig) {
			aerr = &apiError{code: http.StatusRequestEntityTooLarge, desc: "Request Entity Too Large"}
		} else {
			aerr = badRequest("can't parse request: %v", perr)
		}
	default:
		if aerr = s.scriptedFault(name); aerr == nil {
			result, aerr = m.fn(s, rq)
		}
	}
	if aerr != nil {
		call.ErrorCode, call.Description, call.RetryAfter = aerr.code, aerr.desc, aerr.retryAfter
		call.Message = nil
	}
	// Record before answering, so that once a client's call returns the
	// call is in Calls. (A test that waits for a call and then stops the
	// client may thus cancel the client's request before it reads the
	// answer.)
	s.record(call)
	switch {
	case aerr == errClientGone:
	case aerr != nil:
		writeError(w, aerr)
	default:
		writeJSON(w, http.StatusOK, okResponse{OK: true, Result: result})
	}
}

// request is one API call being answered.
type request struct {
	ctx    context.Context
	params params
	call   *Call
}

func writeError(w http.ResponseWriter, e *apiError) {
	resp := errorResponse{ErrorCode: e.code, Description: e.desc}
	if e.retryAfter != 0 || e.migrateTo != 0 {
		resp.Parameters = &responseParameters{RetryAfter: e.retryAfter, MigrateToChatID: e.migrateTo}
	}
	writeJSON(w, e.code, resp)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"ok":false,"error_code":500,"description":"Internal Server Error: telegramtest: ` + err.Error() + `"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// serveFile serves a file's bytes; rest is "<token>/<file_path>". The
// download is recorded (Downloads) before it is answered.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, rest string) {
	token, path, _ := strings.Cut(rest, "/")
	s.mu.Lock()
	f := s.filesByPath[path]
	var aerr *apiError
	switch {
	case token != s.Token:
		aerr = &apiError{code: http.StatusUnauthorized, desc: "Unauthorized"}
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		aerr = &apiError{code: http.StatusMethodNotAllowed, desc: "Method Not Allowed"}
	case f == nil:
		aerr = &apiError{code: http.StatusNotFound, desc: "Not Found"}
	}
	d := Download{FilePath: path, Status: http.StatusOK, Time: s.now()}
	var data []byte
	var fault FileFault
	if aerr == nil {
		data, fault = f.upload.Data, f.fault // Data is never modified once stored
		if fault.Status != 0 {
			aerr = &apiError{code: fault.Status, desc: http.StatusText(fault.Status)}
		}
	}
	if aerr != nil {
		d.Status = aerr.code
	}
	if fault.Hangup {
		d.Status = 0
	}
	s.downloads = append(s.downloads, d)
	s.broadcastLocked()
	s.mu.Unlock()
	switch {
	case fault.Hangup:
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
		return
	case aerr != nil:
		writeError(w, aerr)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if !fault.Chunked {
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		if r.Method == http.MethodGet {
			w.Write(data)
		}
		return
	}
	// Without a Content-Length the response is chunked: flushing each
	// piece sends it at once, so a client that stops reading stops the
	// transfer.
	rc := http.NewResponseController(w)
	for len(data) > 0 && r.Method == http.MethodGet {
		n := min(len(data), chunkSize)
		if _, err := w.Write(data[:n]); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		data = data[n:]
	}
}

// chunkSize is the piece a chunked download is written in.
const chunkSize = 32 << 10

// Throttle makes the next n calls of method answer 429 "Too Many Requests:
// retry after K" with parameters.retry_after K. method "" matches any
// method; method-specific faults are used first.
func (s *Server) Throttle(method string, n, retryAfterSeconds int) {
	s.addFault(method, &fault{left: n, code: http.StatusTooManyRequests,
		desc: fmt.Sprintf("Too Many Requests: retry after %d", retryAfterSeconds), retryAfter: retryAfterSeconds})
}

// Fail makes the next n calls of method ("" for any) answer with code and
// description, e.g. Fail("sendMessage", 1, 500, "Internal Server Error")
// or Fail("getUpdates", 1, 502, "Bad Gateway").
func (s *Server) Fail(method string, n, code int, description string) {
	s.addFault(method, &fault{left: n, code: code, desc: description})
}

func (s *Server) addFault(method string, f *fault) {
	if m, ok := methods[strings.ToLower(method)]; ok {
		method = m.name
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], f)
}

// scriptedFault consumes the next scripted fault for method, if any.
func (s *Server) scriptedFault(method string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, key := range []string{method, ""} {
		q := s.faults[key]
		for len(q) > 0 && q[0].left <= 0 {
			q = q[1:]
		}
		s.faults[key] = q
		if len(q) == 0 {
			continue
		}
		f := q[0]
		f.left--
		if f.code == http.StatusTooManyRequests {
			s.throttled++
		}
		return &apiError{code: f.code, desc: f.desc, retryAfter: f.retryAfter}
	}
	return nil
}

// TooManyRequests returns how many 429 answers the server has given,
// scripted (Throttle) and enforced (WithLimits).
func (s *Server) TooManyRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttled
}

// LimitHits returns how many sends each enforced limit refused.
func (s *Server) LimitHits() LimitHits {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limiter == nil {
		return LimitHits{}
	}
	return s.limiter.hits
}

// limitLocked applies the flood limits to a send to chat.
func (s *Server) limitLocked(chat Chat) *apiError {
	if s.limiter == nil {
		return nil
	}
	wait, ok := s.limiter.allow(s.now(), chat.ID, chat.Type != ChatPrivate)
	if ok {
		return nil
	}
	s.throttled++
	ra := retryAfter(wait)
	return &apiError{code: http.StatusTooManyRequests, desc: fmt.Sprintf("Too Many Requests: retry after %d", ra), retryAfter: ra}
}

// nextSeq returns a number unique within the server.
func (s *Server) nextSeqLocked() int64 {
	s.seq++
	return s.seq
}

// errClosed is returned by waits when the server closes.
var errClosed = errors.New("telegramtest: server closed")
