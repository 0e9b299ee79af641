package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// Engine is moimbot's main loop. It owns:
//
//   - polling: one cron entry per linked account on the group's adaptive
//     schedule (bot.PollSchedule), pulled earlier when a failed pass asked
//     to be retried sooner, and an immediate sync when a member asks for the
//     status board and the last sync is older than a minute;
//   - housekeeping every minute: the groups' reminder posts and the
//     treasurers' token-expiry warnings, each caught up after downtime from
//     the last run recorded in the store (a stale reminder is dropped, none is
//     posted twice);
//   - the outbox dispatcher, woken when a pass queued messages.
//
// The cron scheduler runs in Asia/Seoul with Recover and SkipIfStillRunning.
// Every job body is also a method that takes its instant from e.now, so the
// demo and the month simulation drive the same code on a virtual clock.
type Engine struct {
	db       *store.DB
	sync     *syncer
	dispatch *bot.Dispatcher
	notes    *notifier
	now      func() time.Time
	log      *slog.Logger
	// schedule is the poll schedule of a group's accounts; nil means
	// bot.PollSchedule on the group's due day.
	schedule func(store.Group) cron.Schedule
	// grace is how late a reminder may still be posted after downtime.
	grace time.Duration
	// slots bounds the passes calling the bank at once: accounts sharing a
	// due day are scheduled for the same minute, and the bank (and its rate
	// limit) should not see thousands of calls at once. A pass holds its
	// slot until the bank has answered, not while its rows are committed.
	slots chan struct{}

	mu      sync.Mutex
	cron    *cron.Cron
	entries map[string]pollEntry // by account id
	// retrying holds the accounts with an early retry armed, so that two
	// failed passes do not start two retry chains (each retry is a paid
	// call).
	retrying map[string]bool
	// extra are polls outside the cron entries: the immediate first poll of
	// a newly scheduled account, and early retries after a failure.
	extra sync.WaitGroup

	// publicURL, lang and links serve the linking pages (links.go);
	// linked wakes the scheduler when an account was linked.
	publicURL string
	lang      bot.Lang
	links     *links
	linked    chan struct{}

	// chats are the adapters as configured (files are fetched and
	// password messages deleted through them), and uploads the statement
	// files waiting in chat for a group or a password.
	chats   map[string]bot.Chat
	uploads uploads

	// metrics, when set, are the engine's (see Config.Metrics); health is
	// what /readyz knows of the accounts' passes.
	metrics *Metrics
	health  pollHealth
}

// pollEntry is an account's cron entry and the schedule it was made with.
type pollEntry struct {
	id     cron.EntryID
	sched  cron.Schedule
	dueDay int
}

// PollSchedule returns the schedule an account of g is polled on.
func (e *Engine) PollSchedule(g store.Group) cron.Schedule {
	if e.schedule != nil {
		return e.schedule(g)
	}
	return bot.PollSchedule{DueDay: g.Dues.Day}
}

// RetrySchedule is an account's poll schedule, pulled earlier when the last
// pass failed and asked to be retried before the next regular poll. The
// demo's virtual clock uses it after each pass; on cron, retrySoon does the
// same, because cron asks for an entry's next slot before the pass runs.
type RetrySchedule struct {
	// Base is the account's regular schedule.
	Base cron.Schedule
	// RetryAt returns the time the last pass asked to be retried at, or
	// the zero time.
	RetryAt func() time.Time
}

// Next implements cron.Schedule.
func (s RetrySchedule) Next(t time.Time) time.Time {
	next := s.Base.Next(t)
	if r := s.RetryAt(); r.After(t) && r.Before(next) && !bot.InMaintenance(r) {
		return r
	}
	return next
}

// retrySoon polls the account again at its retry time when a failed pass
// asked for a retry before the account's next regular poll (cron computed
// that slot before the pass ran). The retry stops with ctx.
func (e *Engine) retrySoon(ctx context.Context, id string) {
	at := e.sync.retryAt(id)
	if at.IsZero() || bot.InMaintenance(at) {
		return
	}
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	entry, ok := e.entries[id]
	// The entry's next slot, computed from its schedule rather than asked
	// of cron, which would copy every entry under its lock.
	if !ok || e.retrying[id] || !at.Before(entry.sched.Next(now)) {
		return
	}
	e.retrying[id] = true
	wait := at.Sub(now)
	e.extra.Go(func() {
		t := time.NewTimer(max(wait, 0))
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
			e.Poll(ctx, id)
		}
		e.mu.Lock()
		delete(e.retrying, id)
		e.mu.Unlock()
		if ctx.Err() == nil {
			e.retrySoon(ctx, id)
		}
	})
}

// Poll runs one sync pass of an account and wakes the dispatcher when it
// queued messages. Skips (maintenance, backoff, relink) are logged at debug
// level; failures at warn.
func (e *Engine) Poll(ctx context.Context, accountID string) {
	res, err := e.poll(ctx, accountID)
	switch {
	case err == nil:
		if len(res.New) > 0 {
			e.log.Info("synced", "account_id", accountID, "new", len(res.New), "duplicates", res.Duplicates, "calls", res.Calls)
			e.dispatch.Wake()
		}
	case errors.Is(err, errMaintenance), errors.Is(err, errBackoff), errors.Is(err, errNeedsRelink):
		e.log.Debug("sync skipped", "account_id", accountID, "err", err)
		if errors.Is(err, errNeedsRelink) {
			e.dispatch.Wake()
		}
	case ctx.Err() != nil:
	default:
		e.log.Warn("sync failed", "account_id", accountID, "err", err)
	}
}

// poll runs one sync pass of an account within the engine's bound on
// bank calls at once. The wait for a free slot is the pass's lag behind its
// schedule (cron and the retry timers start it on time). The pass gives
// its slot back once the bank has answered, and commits its rows without
// one; poll returns after the commit.
func (e *Engine) poll(ctx context.Context, accountID string) (SyncResult, error) {
	due := e.now()
	slot := &callSlot{slots: e.slots}
	if err := slot.acquire(ctx); err != nil {
		return SyncResult{}, err
	}
	defer slot.release()
	start := e.now()
	e.metrics.pollStarted(start.Sub(due))
	res, err := e.sync.pass(ctx, accountID, slot)
	e.passDone(ctx, accountID, start, res, err)
	return res, err
}

// housekeeping runs the minute job: reminders, expiry warnings, then the
// poll entries of accounts linked or changed since the last run.
// It reads the groups and accounts once for all three of its parts.
func (e *Engine) housekeeping(ctx context.Context) {
	r, err := e.roster(ctx)
	if err != nil {
		e.log.Error("housekeeping", "err", err)
		return
	}
	now := e.now()
	n, err := e.remind(ctx, now, r)
	e.metrics.reminderRun(n, err)
	if err != nil {
		e.log.Error("reminders", "err", err)
	}
	w, err := e.warnExpiry(ctx, now, r)
	if err != nil {
		e.log.Error("expiry warnings", "err", err)
	}
	if n+w > 0 {
		e.dispatch.Wake()
	}
	e.schedulePolls(ctx, r)
}

// roster is every group and linked account, as one housekeeping run sees
// them.
type roster struct {
	groups   []store.Group
	byID     map[string]store.Group
	accounts []store.Account
}

func (e *Engine) roster(ctx context.Context) (roster, error) {
	groups, err := e.db.Groups(ctx)
	if err != nil {
		return roster{}, err
	}
	accts, err := e.db.Accounts(ctx, "")
	if err != nil {
		return roster{}, err
	}
	// Statement accounts are fed by files, not polled.
	accts = slices.DeleteFunc(accts, func(a store.Account) bool { return a.Source == store.SourceStatement })
	r := roster{groups: groups, byID: make(map[string]store.Group, len(groups)), accounts: accts}
	for _, g := range groups {
		r.byID[g.ID] = g
	}
	return r, nil
}

// RunReminders posts the reminders that are due at now, catching up what
// was missed since the last recorded run (within the grace period). It
// returns how many messages it queued.
func (e *Engine) RunReminders(ctx context.Context, now time.Time) (int, error) {
	r, err := e.roster(ctx)
	if err != nil {
		return 0, err
	}
	return e.remind(ctx, now, r)
}

func (e *Engine) remind(ctx context.Context, now time.Time, r roster) (int, error) {
	groups := r.groups
	queued := 0
	var errs []error
	for _, g := range groups {
		plan := ReminderPlan(g.Settings.Reminder)
		if !plan.Enabled || len(g.Settings.Chats) == 0 {
			continue
		}
		if err := plan.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("group %s: %w", g.ID, err))
			continue
		}
		job := "reminders/" + g.ID
		last, err := e.db.LastRun(ctx, job)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		due := plan.CatchUp(g.Dues.Day, last, now, e.grace)
		if len(due) == 0 {
			continue
		}
		bk, err := e.db.Book(ctx, g.ID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var msgs []store.OutboxMessage
		for _, o := range due {
			msgs = append(msgs, e.notes.reminder(g, bk, o)...)
		}
		if _, err := e.db.RecordRun(ctx, job, now, msgs...); err != nil {
			errs = append(errs, err)
			continue
		}
		queued += len(msgs)
	}
	return queued, errors.Join(errs...)
}

// runExpiryWarnings tells treasurers, 14 and 3 days ahead, that an account's
// link will expire: the refresh token's expiry, which normal polling keeps
// pushing back, so the warnings fire only when refreshing keeps failing.
func (e *Engine) runExpiryWarnings(ctx context.Context, now time.Time) (int, error) {
	r, err := e.roster(ctx)
	if err != nil {
		return 0, err
	}
	return e.warnExpiry(ctx, now, r)
}

func (e *Engine) warnExpiry(ctx context.Context, now time.Time, r roster) (int, error) {
	queued := 0
	var errs []error
	for _, a := range r.accounts {
		if a.TokenName == "" || a.Relink != nil {
			continue
		}
		tok, err := e.db.Token(ctx, a.TokenName)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				errs = append(errs, err)
			}
			continue
		}
		expires := tok.RefreshExpiresAt
		if expires.IsZero() {
			expires = tok.ExpiresAt
		}
		job := "expiry/" + a.ID
		last, err := e.db.LastRun(ctx, job)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if last.IsZero() || now.Sub(last) > 24*time.Hour {
			last = now.Add(-24 * time.Hour) // warnings are not caught up for longer
		}
		ws := bot.ExpiryWarnings(a.ID, expires, last, now)
		if len(ws) == 0 {
			continue
		}
		g, ok := r.byID[a.GroupID]
		if !ok {
			continue // the group was deleted since the roster was read
		}
		var msgs []store.OutboxMessage
		for _, w := range ws {
			msgs = append(msgs, e.notes.expiry(g, a, expires, w)...)
		}
		if _, err := e.db.RecordRun(ctx, job, now, msgs...); err != nil {
			errs = append(errs, err)
			continue
		}
		queued += len(msgs)
	}
	return queued, errors.Join(errs...)
}

// statusCallBudget is the monthly transaction-list calls of an account up
// to which a status request may sync first; KFTC charges per call, and the
// target is at most 1,000 per account per month.
const statusCallBudget = 970

// withinBudget reports whether a call on request (a status request, /sync)
// keeps the account's month within statusCallBudget.
func (e *Engine) withinBudget(ctx context.Context, accountID string, now time.Time) (bool, error) {
	counts, err := e.db.CallCounts(ctx, accountID)
	if err != nil {
		return false, err
	}
	for _, c := range counts {
		if c.Month == ledger.MonthOf(now.In(ledger.KST())) && c.Calls >= statusCallBudget {
			e.log.Info("no call on request: the month's call budget is spent", "account_id", accountID, "calls", c.Calls)
			return false, nil
		}
	}
	return true, nil
}

// RequestStatus answers a member's status request in chat: when a group
// account's last sync is older than a minute it syncs first (so a deposit
// made a moment ago shows), then queues the month's board to chat. requestID
// makes the reply idempotent (a chat platform's message id).
func (e *Engine) RequestStatus(ctx context.Context, groupID string, chat bot.ChatRef, requestID string) error {
	accts, err := e.db.Accounts(ctx, groupID)
	if err != nil {
		return err
	}
	now := e.now()
	for _, a := range accts {
		// The last stored fetch says how fresh the account is, across
		// restarts too.
		cur, err := e.db.Cursor(ctx, a.ID)
		if err != nil {
			return err
		}
		if a.Source == store.SourceStatement || !bot.Stale(cur.FetchedAt, now) {
			continue
		}
		// A status request may cost a call only while the account's month
		// stays within its budget: the schedule alone uses up to about
		// 914 of the 1,000.
		if ok, err := e.withinBudget(ctx, a.ID, now); err != nil {
			return err
		} else if !ok {
			continue
		}
		e.Poll(ctx, a.ID)
	}
	g, err := e.db.Group(ctx, groupID)
	if err != nil {
		return err
	}
	bk, err := e.db.Book(ctx, groupID)
	if err != nil {
		return err
	}
	// The board is as of what the bank was last read to, not as of now:
	// during the maintenance window, or while a link is broken, that is
	// earlier, and the board must not claim otherwise.
	asOf := e.now()
	for _, a := range accts {
		if replaced(a) {
			continue // no longer read: its cursor says nothing of now
		}
		cur, err := e.db.Cursor(ctx, a.ID)
		if err != nil {
			return err
		}
		if !cur.Through.IsZero() && cur.Through.Before(asOf) {
			asOf = cur.Through
		}
	}
	if _, err := e.db.Enqueue(ctx, e.notes.board(g, bk, e.now(), asOf, chat, "board/"+groupID+"/"+requestID)...); err != nil {
		return err
	}
	e.dispatch.Wake()
	return nil
}

// Start schedules the engine's jobs on a cron scheduler in Asia/Seoul and
// starts it and the dispatcher. Both stop when ctx is cancelled; wait
// returns once every running job and the dispatcher have finished.
func (e *Engine) Start(ctx context.Context) (wait func(), err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		if err != nil {
			cancel()
		}
	}()
	logger := cronLogger{e.log}
	c := cron.New(
		cron.WithLocation(seoul()),
		cron.WithLogger(logger),
		cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)),
	)
	if _, err := c.AddFunc("CRON_TZ=Asia/Seoul * * * * *", func() { e.housekeeping(ctx) }); err != nil {
		return nil, fmt.Errorf("schedule housekeeping: %w", err)
	}
	if _, err := c.AddFunc("CRON_TZ=Asia/Seoul 30 4 * * *", func() {
		if n, err := e.db.PruneOutbox(ctx, e.now().AddDate(0, 0, -30)); err != nil {
			e.log.Error("prune outbox", "err", err)
		} else if n > 0 {
			e.log.Info("pruned outbox", "messages", n)
		}
	}); err != nil {
		return nil, fmt.Errorf("schedule prune: %w", err)
	}
	e.mu.Lock()
	e.cron, e.entries, e.retrying = c, make(map[string]pollEntry), make(map[string]bool)
	e.mu.Unlock()
	if err := e.refreshEntries(ctx); err != nil {
		// Stop the first polls already started before giving up.
		cancel()
		e.extra.Wait()
		return nil, err
	}
	// Catch up at once rather than at the next minute.
	e.housekeeping(ctx)
	c.Start()
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := e.dispatch.Run(ctx); err != nil {
			e.log.Error("dispatcher", "err", err)
		}
	})
	wg.Go(func() {
		<-ctx.Done()
		<-c.Stop().Done()
	})
	// An account linked in the chat is polled at once, not at the next
	// minute's housekeeping.
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-e.linked:
				if err := e.refreshEntries(ctx); err != nil {
					e.log.Error("schedule a newly linked account", "err", err)
				}
			}
		}
	})
	return func() {
		wg.Wait()
		e.extra.Wait()
		cancel()
	}, nil
}

// refreshEntries gives every linked account a poll entry (see
// schedulePolls).
func (e *Engine) refreshEntries(ctx context.Context) error {
	r, err := e.roster(ctx)
	if err != nil {
		return err
	}
	e.schedulePolls(ctx, r)
	return nil
}

// schedulePolls gives every linked account a poll entry, remakes the
// entries of groups whose due day changed, and removes the entries of
// accounts that are gone, so changes made while moimbot runs need no
// restart.
func (e *Engine) schedulePolls(ctx context.Context, r roster) {
	accts, byID := r.accounts, r.byID
	e.mu.Lock()
	defer e.mu.Unlock()
	seen := make(map[string]bool, len(accts))
	for _, a := range accts {
		seen[a.ID] = true
		g := byID[a.GroupID]
		old, ok := e.entries[a.ID]
		if ok && old.dueDay == g.Dues.Day {
			continue
		}
		if ok {
			e.cron.Remove(old.id)
		}
		id := a.ID
		job := func() {
			e.Poll(ctx, id)
			e.retrySoon(ctx, id)
		}
		sched := e.PollSchedule(g)
		e.entries[id] = pollEntry{id: e.cron.Schedule(sched, cron.FuncJob(job)), sched: sched, dueDay: g.Dues.Day}
		if !ok {
			// The first poll runs now, not at the schedule's next slot.
			e.extra.Go(job)
		}
	}
	for id, entry := range e.entries {
		if !seen[id] {
			e.cron.Remove(entry.id)
			delete(e.entries, id)
		}
	}
}

// ReminderPlan converts a group's stored reminder settings.
func ReminderPlan(r store.Reminder) bot.ReminderPlan {
	return bot.ReminderPlan{Enabled: r.Enabled, Days: r.Days, Hour: r.Hour, Minute: r.Minute}
}

// DefaultReminder is the reminder setting of a new group: 3 days before the
// due day and on it at 10:00, and an overdue notice 3 days after.
func DefaultReminder() store.Reminder {
	p := bot.DefaultReminderPlan()
	return store.Reminder{Enabled: p.Enabled, Days: p.Days, Hour: p.Hour, Minute: p.Minute}
}

// seoul returns Asia/Seoul (the binary embeds tzdata), or KST as a fixed
// zone, which is the same: Korea has no daylight saving time.
func seoul() *time.Location {
	if loc, err := time.LoadLocation("Asia/Seoul"); err == nil {
		return loc
	}
	return ledger.KST()
}

// cronLogger sends cron's log lines to slog.
type cronLogger struct{ log *slog.Logger }

// Info implements cron.Logger; cron's routine lines (schedule, wake, run)
// go to debug.
func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }

// Error implements cron.Logger.
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}

// Sync runs one sync pass of an account now, outside the schedule (see the
// package documentation for what a pass does).
func (e *Engine) Sync(ctx context.Context, accountID string) (SyncResult, error) {
	start := e.now()
	res, err := e.sync.Sync(ctx, accountID)
	e.passDone(ctx, accountID, start, res, err)
	return res, err
}

// RetryAt is when the last failed pass of an account asked to be retried,
// or the zero time when it did not fail.
func (e *Engine) RetryAt(accountID string) time.Time { return e.sync.retryAt(accountID) }

// Dispatcher is the engine's outbox dispatcher. Start runs it; a caller
// that steps the engine by hand (the demo) drains it with DispatchOnce.
func (e *Engine) Dispatcher() *bot.Dispatcher { return e.dispatch }

// Assign records a treasurer's decision that a deposit is a member's,
// queues the group's notice of it and wakes the dispatcher.
func (e *Engine) Assign(ctx context.Context, actor, depositID, memberID string) (store.AssignResult, error) {
	res, err := e.db.Assign(ctx, actor, depositID, memberID, store.AssignOptions{Notify: e.notes.deposit})
	if err != nil {
		return res, err
	}
	e.dispatch.Wake()
	return res, nil
}

// UsePlan replaces the poll schedule of the groups' accounts; call it
// before Start.
func (e *Engine) UsePlan(plan func(store.Group) cron.Schedule) { e.schedule = plan }
