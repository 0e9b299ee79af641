package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/statement"
	"github.com/moimbot/moimbot/store"
)

// Statement files in chat.
const (
	// MaxStatementBytes is the largest statement file the bot takes in
	// chat.
	MaxStatementBytes = 10 << 20
	// uploadTTL is how long a file waits for its group or password.
	uploadTTL = 10 * time.Minute
	// passwordTries is how many wrong passwords a file survives.
	passwordTries = 3
	// maxUploads bounds the files waiting at once (each up to
	// MaxStatementBytes in memory).
	maxUploads = 32
	// actionImport is the button data prefix of a group choice:
	// "imp:<upload id>:<group id>".
	actionImport = "imp"
)

// statementExts are the file name extensions of the files banks export.
var statementExts = map[string]bool{".xlsx": true, ".xls": true, ".csv": true, ".htm": true, ".html": true, ".txt": true}

// upload is a statement file waiting for the treasurer: for the group it
// belongs to, or for its password. The password itself is never kept.
type upload struct {
	id       string
	user     store.ChatUser
	name     string
	data     []byte
	group    string // "" until chosen
	password bool   // waiting for the password
	tries    int
	expires  time.Time
}

// uploads are the files waiting, one per treasurer: a new file replaces
// the one before.
type uploads struct {
	mu     sync.Mutex
	byUser map[store.ChatUser]*upload
}

func (u *uploads) put(now time.Time, up *upload) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.byUser == nil {
		u.byUser = map[store.ChatUser]*upload{}
	}
	for k, v := range u.byUser {
		if !now.Before(v.expires) {
			delete(u.byUser, k)
		}
	}
	if _, ok := u.byUser[up.user]; !ok && len(u.byUser) >= maxUploads {
		// Drop the one closest to expiry.
		var oldest *upload
		for _, v := range u.byUser {
			if oldest == nil || v.expires.Before(oldest.expires) {
				oldest = v
			}
		}
		delete(u.byUser, oldest.user)
	}
	up.expires = now.Add(uploadTTL)
	u.byUser[up.user] = up
}

// get returns the user's waiting file, if any and not expired.
func (u *uploads) get(now time.Time, user store.ChatUser) *upload {
	u.mu.Lock()
	defer u.mu.Unlock()
	up := u.byUser[user]
	if up == nil || !now.Before(up.expires) {
		delete(u.byUser, user)
		return nil
	}
	return up
}

func (u *uploads) drop(user store.ChatUser) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.byUser, user)
}

// waitingPassword reports whether the user's file waits for a password.
func (u *uploads) waitingPassword(now time.Time, user store.ChatUser) bool {
	up := u.get(now, user)
	return up != nil && up.password
}

// document answers a file sent to the bot: a treasurer's bank statement,
// read and imported into their group (asking which group, and the
// workbook's password, when needed).
func (r *Router) document(ctx context.Context, q *request) {
	d := q.u.Document
	ext := strings.ToLower(path.Ext(d.Name))
	if !q.u.Private {
		// A file in the group chat: a statement belongs in a DM. Other
		// files are none of the bot's business.
		if statementExts[ext] && q.treasurer() {
			r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyImportInDM))
		}
		return
	}
	groups, err := r.ownGroups(ctx, q)
	if err != nil {
		r.e.log.Error("router: the treasurer's groups", "err", err)
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyFailed))
		return
	}
	if len(groups) == 0 {
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyImportNotTreasurer))
		return
	}
	if len(groups) == 1 {
		q.g, q.found, q.lang = groups[0], true, bot.ParseLang(groups[0].Settings.Language)
	}
	if !statementExts[ext] {
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyImportType, d.Name))
		return
	}
	if d.Size > MaxStatementBytes {
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyImportTooBig, MaxStatementBytes>>20))
		return
	}
	fetcher, ok := r.e.chats[q.u.Chat.Platform].(bot.FileFetcher)
	if !ok {
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyImportNoFiles))
		return
	}
	data, err := fetcher.FetchFile(ctx, *d, MaxStatementBytes)
	if err != nil {
		r.e.log.Warn("router: fetch a statement file", "err", err)
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyImportFetch))
		return
	}
	up := &upload{id: uploadID(), user: q.user(), name: d.Name, data: data}
	if len(groups) == 1 {
		up.group = groups[0].ID
		r.readUpload(ctx, q, up, "")
		return
	}
	r.e.uploads.put(r.e.now(), up)
	var rows [][]bot.Button
	for _, g := range groups {
		rows = append(rows, []bot.Button{{Text: g.Name, Data: actionImport + ":" + up.id + ":" + g.ID}})
	}
	r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyImportPickGroup), rows...)
}

// tapImport is the choice of a waiting file's group.
func (r *Router) tapImport(ctx context.Context, q *request, rest string) string {
	id, groupID, _ := strings.Cut(rest, ":")
	up := r.e.uploads.get(r.e.now(), q.user())
	if up == nil || up.id != id {
		return bot.Reply(q.lang, bot.ReplyImportExpired)
	}
	g, err := r.e.db.Group(ctx, groupID)
	if err != nil || !g.Settings.IsTreasurer(q.user()) {
		return bot.Reply(q.lang, bot.ReplyNotTreasurer)
	}
	q.g, q.found, q.lang = g, true, bot.ParseLang(g.Settings.Language)
	up.group = g.ID
	r.send(ctx, q, q.u.Chat, q.u.Tap.Message, bot.Reply(q.lang, bot.ReplyImportPickGroup)+" → "+g.Name, nil)
	r.readUpload(ctx, q, up, "")
	return ""
}

// password answers the message that carries a waiting workbook's
// password: the message is deleted where the platform allows, and the
// text is used once and never kept or logged.
func (r *Router) password(ctx context.Context, q *request) {
	if del, ok := r.e.chats[q.u.Chat.Platform].(bot.MessageDeleter); ok && q.u.MessageID != "" {
		if err := del.DeleteMessage(ctx, q.u.Chat, q.u.MessageID); err != nil {
			r.e.log.Warn("router: delete the password message", "err", err)
		}
	}
	up := r.e.uploads.get(r.e.now(), q.user())
	if up == nil {
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyImportExpired))
		return
	}
	r.readUpload(ctx, q, up, strings.TrimSpace(q.u.Text))
}

// readUpload reads a file whose group is known and imports it, or asks
// for its password.
func (r *Router) readUpload(ctx context.Context, q *request, up *upload, password string) {
	g, err := r.e.db.Group(ctx, up.group)
	if err != nil {
		r.e.uploads.drop(up.user)
		r.e.log.Error("router: the upload's group", "group_id", up.group, "err", err)
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyFailed))
		return
	}
	q.g, q.found, q.lang = g, true, bot.ParseLang(g.Settings.Language)
	st, err := statement.Read(up.name, up.data, statement.Options{Password: password})
	switch {
	case errors.Is(err, statement.ErrPassword):
		up.password = true
		r.e.uploads.put(r.e.now(), up)
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyImportPassword))
		return
	case errors.Is(err, statement.ErrWrongPassword):
		up.tries++
		if up.tries >= passwordTries {
			r.e.uploads.drop(up.user)
			r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyImportGaveUp))
			return
		}
		up.password = true
		r.e.uploads.put(r.e.now(), up)
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyImportWrongPass, passwordTries-up.tries))
		return
	}
	r.e.uploads.drop(up.user)
	if err != nil {
		r.reply(ctx, q, unreadable(q.lang, err))
		return
	}
	sum, err := r.e.ImportStatement(ctx, g.ID, st, ImportOptions{Actor: q.actor()})
	if errors.Is(err, ErrNoStatementAccount) {
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyImportAccount, g.Name))
		return
	}
	if err != nil {
		r.e.log.Error("router: import a statement", "group_id", g.ID, "err", err)
		r.reply(ctx, q, bot.Reply(q.lang, bot.ReplyFailed))
		return
	}
	r.reply(ctx, q, bot.StatementSummary(q.lang, sum.report(g.Name)))
}

// report converts the summary for bot.StatementSummary.
func (s ImportSummary) report(group string) bot.ImportReport {
	return bot.ImportReport{Group: group, Bank: s.Bank, Rows: s.Rows, From: s.From, To: s.To, New: s.New,
		Deposits: s.Deposits, Matched: s.Matched, Review: s.Review, Ignored: s.Ignored,
		Duplicates: s.Duplicates, Notified: s.Notified, DryRun: s.DryRun}
}

// unreadable is the reply to a file the readers refused: the reader's own
// sentence, which names what is missing.
func unreadable(lang bot.Lang, err error) string {
	switch {
	case errors.Is(err, statement.ErrBinaryXLS):
		return bot.Reply(lang, bot.ReplyImportOldXLS)
	case errors.Is(err, statement.ErrTooLarge):
		return bot.Reply(lang, bot.ReplyImportTooBig, MaxStatementBytes>>20)
	}
	msg := strings.TrimPrefix(err.Error(), "statement: ")
	return bot.Reply(lang, bot.ReplyImportUnreadable, msg)
}

// ownGroups returns the groups the caller is a treasurer or co-treasurer
// of, in id order.
func (r *Router) ownGroups(ctx context.Context, q *request) ([]store.Group, error) {
	return r.e.db.TreasurerGroups(ctx, q.user())
}

// uploadID is a short random id for a waiting file's buttons.
func uploadID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}
