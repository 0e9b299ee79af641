package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// Metrics are moimbot's Prometheus metrics, on a registry of their own
// (never the global default one). Every label takes its values from a
// fixed set (an API name, a KFTC rsp_code, an outcome, a chat platform):
// no label carries a name, a token or an account number.
//
//	moimbot_build_info{version,goversion}             1
//	moimbot_kftc_calls_total{api,rsp_code}            every HTTP attempt to the KFTC API
//	moimbot_kftc_month_calls                          transaction-list calls this month (KST), all accounts
//	moimbot_kftc_month_estimated_fees_won             those calls at KFTCFeePerCall
//	moimbot_polls_total{outcome}                      sync passes: ok, failed, maintenance, backoff, relink, cancelled
//	moimbot_poll_lag_seconds                          how long a due pass waited for a bank-call slot
//	moimbot_deposits_total{outcome}                   new deposits: matched, review, ignored
//	moimbot_review_queue_size                         deposits waiting for a treasurer
//	moimbot_outbox_messages{state}                    pending, sending, sent, dead
//	moimbot_outbox_oldest_pending_age_seconds         since the oldest open message became due
//	moimbot_deliveries_total{platform,outcome}        sent, rate_limited (a 429, or the adapter's own pacing), failed, dead
//	moimbot_reminder_runs_total{outcome}              the minute's reminder step: ok, error
//	moimbot_reminders_queued_total                    reminder messages queued
//
// plus the Go runtime's go_* and the process's process_* metrics. The
// store-backed gauges are read when scraped, in read transactions that
// never block the bot's writes (a read not begun within ScrapeTimeout is
// skipped, and Handler answers 503 to a scrape taking twice as long). A
// nil *Metrics records nothing, so the engine's hooks need no checks.
type Metrics struct {
	reg *prometheus.Registry

	kftcCalls       *prometheus.CounterVec
	polls           *prometheus.CounterVec
	pollLag         prometheus.Histogram
	deposits        *prometheus.CounterVec
	deliveries      *prometheus.CounterVec
	reminderRuns    *prometheus.CounterVec
	remindersQueued prometheus.Counter

	// platforms are the chat platforms deliveries are labelled with; any
	// other is "other". Set by attach.
	platforms atomic.Pointer[map[string]bool]
	attached  sync.Once
}

// KFTCFeePerCall is the estimate, in won, of what KFTC charges for one
// transaction-list call in production (reported about 30원; see
// docs/kftc-openbanking.md §6). moimbot makes no balance calls.
const KFTCFeePerCall = 30

// ScrapeTimeout is the time one scrape's store reads may begin within.
const ScrapeTimeout = 2 * time.Second

// Label values.
const (
	pollOK          = "ok"
	pollFailed      = "failed"
	pollMaintenance = "maintenance"
	pollBackoff     = "backoff"
	pollRelink      = "relink"
	pollCancelled   = "cancelled"

	deliverySent        = "sent"
	deliveryRateLimited = "rate_limited"
	deliveryFailed      = "failed"
	deliveryDead        = "dead"

	labelOther = "other"
)

// NewMetrics returns the metrics of one moimbot process, version naming
// its build. It does no I/O.
func NewMetrics(version string) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		kftcCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "moimbot_kftc_calls_total",
			Help: "HTTP attempts to the KFTC Open Banking API, retries included, by API and the answer's rsp_code (none: no rsp_code, as a successful token answer; http_4xx, http_5xx: no JSON answer; error: no answer).",
		}, []string{"api", "rsp_code"}),
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "moimbot_polls_total",
			Help: "Sync passes of linked accounts by outcome.",
		}, []string{"outcome"}),
		pollLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "moimbot_poll_lag_seconds",
			Help:    "How long after it was due a sync pass started: its wait for one of the engine's concurrent bank-call slots.",
			Buckets: []float64{0.01, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600},
		}),
		deposits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "moimbot_deposits_total",
			Help: "Transactions stored for the first time, by the matcher's outcome (matched, review, ignored).",
		}, []string{"outcome"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "moimbot_deliveries_total",
			Help: "Outbox delivery attempts by chat platform and outcome (rate_limited: the platform answered 429, or the adapter's pacing deferred the message).",
		}, []string{"platform", "outcome"}),
		reminderRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "moimbot_reminder_runs_total",
			Help: "Runs of the minute's reminder step by outcome.",
		}, []string{"outcome"}),
		remindersQueued: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "moimbot_reminders_queued_total",
			Help: "Reminder messages queued.",
		}),
	}
	for _, o := range []string{pollOK, pollFailed, pollMaintenance, pollBackoff, pollRelink, pollCancelled} {
		m.polls.WithLabelValues(o)
	}
	for _, o := range []ledger.Outcome{ledger.OutcomeMatched, ledger.OutcomeReview, ledger.OutcomeIgnored} {
		m.deposits.WithLabelValues(o.String())
	}
	m.reminderRuns.WithLabelValues("ok")
	m.reminderRuns.WithLabelValues("error")
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "moimbot_build_info",
		Help:        "The running build: always 1, with its version and Go version as labels.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
	})
	build.Set(1)
	m.reg.MustRegister(m.kftcCalls, m.polls, m.pollLag, m.deposits, m.deliveries, m.reminderRuns, m.remindersQueued, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus' text format (GET /metrics).
// A failed store read leaves out the metrics it feeds and is logged to log
// (nil discards); the others are still served.
func (m *Metrics) Handler(log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:            promLogger{log},
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 2,
		Timeout:             2 * ScrapeTimeout,
	})
}

// promLogger sends promhttp's errors to slog.
type promLogger struct{ log *slog.Logger }

// Println implements promhttp.Logger.
func (l promLogger) Println(v ...any) {
	var b strings.Builder
	for i, x := range v {
		if i > 0 {
			b.WriteByte(' ')
		}
		if err, ok := x.(error); ok {
			b.WriteString(err.Error())
		} else if s, ok := x.(string); ok {
			b.WriteString(s)
		}
	}
	l.log.Warn("metrics: " + b.String())
}

// attach makes the metrics an engine's: its store feeds the scrape-time
// gauges, its dispatcher reports deliveries, and its chat platforms are
// the platform label's values. Only the first engine attached feeds the
// store gauges (one process has one database).
func (m *Metrics) attach(e *Engine) {
	if m == nil {
		return
	}
	e.metrics = m
	platforms := make(map[string]bool, len(e.dispatch.Chats))
	for p := range e.dispatch.Chats {
		platforms[p] = true
		for _, o := range []string{deliverySent, deliveryRateLimited, deliveryFailed, deliveryDead} {
			m.deliveries.WithLabelValues(p, o)
		}
	}
	m.platforms.Store(&platforms)
	d := e.dispatch
	onSent := d.OnSent
	d.OnSent = func(msg bot.Message) {
		m.delivered(msg.Chat.Platform, deliverySent)
		if onSent != nil {
			onSent(msg)
		}
	}
	onFailed := d.OnFailed
	d.OnFailed = func(msg bot.Message, err error, dead bool) {
		outcome := deliveryFailed
		var ra *bot.RetryAfterError
		switch {
		case dead:
			outcome = deliveryDead
		case errors.As(err, &ra):
			outcome = deliveryRateLimited
		}
		m.delivered(msg.Chat.Platform, outcome)
		if onFailed != nil {
			onFailed(msg, err, dead)
		}
	}
	m.attached.Do(func() {
		m.reg.MustRegister(&storeCollector{db: e.db, now: e.now, timeout: ScrapeTimeout})
	})
}

func (m *Metrics) delivered(platform, outcome string) {
	if p := m.platforms.Load(); p == nil || !(*p)[platform] {
		platform = labelOther
	}
	m.deliveries.WithLabelValues(platform, outcome).Inc()
}

// pollStarted records a pass that started lag after it was due.
func (m *Metrics) pollStarted(lag time.Duration) {
	if m == nil {
		return
	}
	m.pollLag.Observe(max(lag, 0).Seconds())
}

// passDone records the outcome of a sync pass and the deposits it stored.
func (m *Metrics) passDone(res SyncResult, outcome string) {
	if m == nil {
		return
	}
	m.polls.WithLabelValues(outcome).Inc()
	for _, in := range res.New {
		m.deposits.WithLabelValues(in.Match.Outcome.String()).Inc()
	}
}

// reminderRun records one run of the reminder step that queued n messages.
func (m *Metrics) reminderRun(n int, err error) {
	if m == nil {
		return
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.reminderRuns.WithLabelValues(outcome).Inc()
	m.remindersQueued.Add(float64(n))
}

// passOutcome names the outcome of a sync pass for moimbot_polls_total.
func passOutcome(ctx context.Context, err error) string {
	switch {
	case err == nil:
		return pollOK
	case errors.Is(err, errMaintenance):
		return pollMaintenance
	case errors.Is(err, errBackoff):
		return pollBackoff
	case errors.Is(err, errNeedsRelink):
		return pollRelink
	case ctx.Err() != nil:
		return pollCancelled
	}
	return pollFailed
}

// storeCollector reads the gauges that live in the store when scraped:
// the outbox, the review queue and the month's KFTC calls.
type storeCollector struct {
	db      *store.DB
	now     func() time.Time
	timeout time.Duration
}

var (
	descOutbox = prometheus.NewDesc("moimbot_outbox_messages",
		"Outbox messages by state (sent and dead ones are pruned after 30 days).", []string{"state"}, nil)
	descOutboxAge = prometheus.NewDesc("moimbot_outbox_oldest_pending_age_seconds",
		"How long ago the oldest pending or sending outbox message became due; 0 when none is.", nil, nil)
	descReview = prometheus.NewDesc("moimbot_review_queue_size",
		"Deposits waiting for a treasurer's decision, all groups.", nil, nil)
	descMonthCalls = prometheus.NewDesc("moimbot_kftc_month_calls",
		"Transaction-list calls this month (KST), all accounts, as the store counts them (across restarts).", nil, nil)
	descMonthFees = prometheus.NewDesc("moimbot_kftc_month_estimated_fees_won",
		"This month's transaction-list calls at the estimated production fee per call, in won.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOutbox, descOutboxAge, descReview, descMonthCalls, descMonthFees} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. A failed read yields an invalid
// metric for what it feeds, which the handler reports and leaves out.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	now := c.now()

	// The counts are kept by the store; only the open messages are read.
	if st, err := c.db.OutboxStats(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(descOutbox, err)
		ch <- prometheus.NewInvalidMetric(descOutboxAge, err)
	} else {
		for _, s := range []store.MessageState{store.StatePending, store.StateSending, store.StateSent, store.StateDead} {
			ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(st.Counts[s]), s.String())
		}
		age := 0.0
		if !st.OldestDue.IsZero() {
			age = max(now.Sub(st.OldestDue), 0).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(descOutboxAge, prometheus.GaugeValue, age)
	}

	if items, err := c.db.Review(ctx, ""); err != nil {
		ch <- prometheus.NewInvalidMetric(descReview, err)
	} else {
		ch <- prometheus.MustNewConstMetric(descReview, prometheus.GaugeValue, float64(len(items)))
	}

	if counts, err := c.db.CallCounts(ctx, ""); err != nil {
		ch <- prometheus.NewInvalidMetric(descMonthCalls, err)
		ch <- prometheus.NewInvalidMetric(descMonthFees, err)
	} else {
		month := ledger.MonthOf(now.In(ledger.KST()))
		var calls int64
		for _, cc := range counts {
			if cc.Month == month {
				calls += cc.Calls
			}
		}
		ch <- prometheus.MustNewConstMetric(descMonthCalls, prometheus.GaugeValue, float64(calls))
		ch <- prometheus.MustNewConstMetric(descMonthFees, prometheus.GaugeValue, float64(calls*KFTCFeePerCall))
	}
}

// KFTCTransport returns a RoundTripper that counts every HTTP attempt to
// the KFTC API in moimbot_kftc_calls_total, by API (from the request's
// path) and the answer's rsp_code, in front of next. Pass it as the
// HTTPClient's Transport of the openbanking.Config given to NewBankClient;
// nil next means a transport like NewBankClient's own.
//
// The client reports a call's rsp_code only once, after its retries, and
// only for failures, while KFTC bills every attempt; so the code is read
// here, off the answer as the client reads it: the body is scanned once,
// byte by byte, until its first "rsp_code" key's value (in KFTC's answers
// within the first hundred bytes), without buffering or decoding it. The
// attempt is counted when the client closes the body.
func (m *Metrics) KFTCTransport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = newBankTransport()
	}
	return &kftcTransport{next: next, calls: m.kftcCalls}
}

type kftcTransport struct {
	next  http.RoundTripper
	calls *prometheus.CounterVec
}

// RoundTrip implements http.RoundTripper.
func (t *kftcTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	api := kftcAPI(r.URL.Path)
	resp, err := t.next.RoundTrip(r)
	switch {
	case err != nil:
		t.calls.WithLabelValues(api, "error").Inc()
		return resp, err
	case resp.StatusCode >= 500:
		t.calls.WithLabelValues(api, "http_5xx").Inc()
		return resp, nil
	case resp.StatusCode != http.StatusOK:
		t.calls.WithLabelValues(api, "http_4xx").Inc()
		return resp, nil
	}
	resp.Body = &scannedBody{ReadCloser: resp.Body, done: func(code string) { t.calls.WithLabelValues(api, code).Inc() }}
	return resp, nil
}

// kftcAPI names the KFTC API of a request path (a fixed set of values).
func kftcAPI(path string) string {
	switch {
	case strings.HasSuffix(path, "/oauth/2.0/token"):
		return "token"
	case strings.HasSuffix(path, "/oauth/2.0/revoke"):
		return "revoke"
	case strings.HasSuffix(path, "/v2.0/user/me"):
		return "user_me"
	case strings.HasSuffix(path, "/v2.0/account/list"):
		return "account_list"
	case strings.HasSuffix(path, "/v2.0/account/balance/fin_num"):
		return "balance"
	case strings.HasSuffix(path, "/v2.0/account/transaction_list/fin_num"):
		return "transaction_list"
	}
	return labelOther
}

// kftcCodes are the rsp_code values of the KFTC contract
// (docs/kftc-openbanking.md §5); any other is counted as "other".
var kftcCodes = func() map[string]string {
	m := make(map[string]string)
	for _, c := range []string{"A0000", "O0000", "A0002", "A0003", "A0004", "A0007", "A0008", "A0013", "A0015",
		"A0018", "A0304", "A0305", "O0001", "O0002", "O0003", "O0004", "O0006", "O0007", "O0008", "O0009",
		"O0010", "O0011"} {
		m[c] = c
	}
	return m
}()

// scannedBody is a response body whose rsp_code is read as it streams past.
type scannedBody struct {
	io.ReadCloser
	scan   rspScanner
	done   func(code string)
	closed atomic.Bool
}

// Read implements io.Reader.
func (b *scannedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.scan.write(p[:n])
	return n, err
}

// Close implements io.Closer; the first Close counts the attempt.
func (b *scannedBody) Close() error {
	if b.closed.CompareAndSwap(false, true) {
		b.done(b.scan.code())
	}
	return b.ReadCloser.Close()
}

// rspScanner finds the string value of the first "rsp_code" key (ASCII
// case ignored, as the client's decoder ignores it) in a JSON text fed to
// it in pieces. It is a small state machine: no buffering, no allocation.
type rspScanner struct {
	state   int
	matched int // bytes of rspKey matched so far
	val     [5]byte
	n       int
}

const rspKey = `"rsp_code"`

const (
	scanKey   = iota // looking for rspKey
	scanColon        // after the key: blanks, then ':'
	scanQuote        // after the colon: blanks, then '"'
	scanValue        // inside the value, up to '"'
	scanDone
)

func (s *rspScanner) write(p []byte) {
	for _, c := range p {
		switch s.state {
		case scanKey:
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c == rspKey[s.matched] {
				if s.matched++; s.matched == len(rspKey) {
					s.state = scanColon
				}
				continue
			}
			s.restart(c)
		case scanColon:
			switch c {
			case ' ', '\t', '\r', '\n':
			case ':':
				s.state = scanQuote
			default:
				s.restart(c)
			}
		case scanQuote:
			switch c {
			case ' ', '\t', '\r', '\n':
			case '"':
				s.state, s.n = scanValue, 0
			default:
				s.restart(c) // not a string: keep looking
			}
		case scanValue:
			if c == '"' {
				s.state = scanDone
				return
			}
			if s.n < len(s.val) {
				s.val[s.n] = c
			}
			s.n++
		case scanDone:
			return
		}
	}
}

// restart goes back to looking for the key at byte c; a quote may open it.
func (s *rspScanner) restart(c byte) {
	s.state, s.matched = scanKey, 0
	if c == '"' {
		s.matched = 1
	}
}

// code returns the label value of what was scanned: a KFTC code, "other"
// for an unknown one, or "none" when the body had no rsp_code string.
func (s *rspScanner) code() string {
	if s.state != scanDone {
		return "none"
	}
	if s.n == len(s.val) {
		if v, ok := kftcCodes[string(s.val[:])]; ok {
			return v
		}
	}
	return labelOther
}
