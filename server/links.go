package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/openbanking"
	"github.com/moimbot/moimbot/store"
)

// Linking a group's bank account in the browser.
//
// A treasurer asks for a link in the chat (/setup, /link) and gets, by DM,
// PublicURL/link/<token>: one use, valid for LinkTTL. The page says what
// moimbot will read and sends the browser, through a POST, to the bank's
// consent page with a fresh 32-character state bound to that link. The
// bank sends the browser back to /oauth/callback; the state is checked
// (known, unused, bound to a live link), the code exchanged, the token pair
// stored encrypted, and the treasurer picks by DM, with one button per
// account, which one is the group account; the group is then told.
// Cancelled consent, a reused or forged state, an expired link or a bank
// error give a clear page in the browser, and the treasurer a message;
// nothing half-linked is left behind (a token pair whose account was never
// picked is linked to no group).
//
// Pending links, states and account choices live in memory: a restart
// forgets them, and the treasurer asks for a new link.

// LinkTTL is how long a link, and the consent that follows it, stays valid.
const LinkTTL = 30 * time.Minute

// links holds the pending links, consents and account choices.
type links struct {
	mu     sync.Mutex
	links  map[string]*pendingLink // by link token
	states map[string]string       // OAuth state → link token
	picks  map[string]*pendingPick // by pick id
}

// pendingLink is a link handed to a treasurer.
type pendingLink struct {
	group   string
	by      store.ChatUser
	expires time.Time
	started bool // the consent page was opened: the link is spent
}

// pendingPick is a consent whose account the treasurer has not picked yet.
type pendingPick struct {
	group     string
	by        store.ChatUser
	tokenName string
	accounts  []openbanking.Account
	expires   time.Time
}

// newToken returns n random bytes, URL-safe.
func newToken(n int) string {
	b := make([]byte, n)
	rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewLink makes a one-time link for by to connect group's bank account,
// or reports false when moimbot has no public URL (the demo).
func (e *Engine) NewLink(groupID string, by store.ChatUser) (string, bool) {
	if e.publicURL == "" {
		return "", false
	}
	tok := newToken(24)
	e.links.mu.Lock()
	defer e.links.mu.Unlock()
	e.links.gc(e.now())
	e.links.links[tok] = &pendingLink{group: groupID, by: by, expires: e.now().Add(LinkTTL)}
	return e.publicURL + "/link/" + tok, true
}

// gc drops what has expired; the caller holds mu.
func (l *links) gc(now time.Time) {
	for k, v := range l.links {
		if now.After(v.expires) {
			delete(l.links, k)
		}
	}
	for s, k := range l.states {
		if _, ok := l.links[k]; !ok {
			delete(l.states, s)
		}
	}
	for k, v := range l.picks {
		if now.After(v.expires) {
			delete(l.picks, k)
		}
	}
}

// HTTPHandler serves the link pages and the OAuth callback:
//
//	GET  /link/{token}     what will be shared, and a button to the bank
//	POST /link/{token}     starts the consent: a redirect to the bank
//	GET  /oauth/callback   the bank's redirect after consent
//
// Every answer carries the pages' security headers (see guardPages) and
// request bodies are bounded; a RateLimiter in front is the server's to
// add.
func (e *Engine) HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /link/{token}", e.linkPage)
	mux.HandleFunc("POST /link/{token}", e.linkStart)
	mux.HandleFunc("GET /oauth/callback", e.oauthCallback)
	return guardPages(mux)
}

// linkOf returns the live link of token and its group, or writes the
// expired-link page.
func (e *Engine) linkOf(w http.ResponseWriter, r *http.Request, token string) (*pendingLink, store.Group, bool) {
	e.links.mu.Lock()
	e.links.gc(e.now())
	l, ok := e.links.links[token]
	var cp pendingLink
	if ok {
		cp = *l
	}
	e.links.mu.Unlock()
	if !ok || cp.started {
		e.page(w, http.StatusGone, e.lang, pageExpired, nil)
		return nil, store.Group{}, false
	}
	g, err := e.db.Group(r.Context(), cp.group)
	if err != nil {
		e.log.Error("link: the link's group", "err", err)
		e.page(w, http.StatusInternalServerError, e.lang, pageFailed, nil)
		return nil, store.Group{}, false
	}
	return &cp, g, true
}

func (e *Engine) linkPage(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	_, g, ok := e.linkOf(w, r, token)
	if !ok {
		return
	}
	e.page(w, http.StatusOK, bot.ParseLang(g.Settings.Language), pageConsent, map[string]string{"Group": g.Name, "Action": "/link/" + token})
}

func (e *Engine) linkStart(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	_, g, ok := e.linkOf(w, r, token)
	if !ok {
		return
	}
	state := openbanking.NewState()
	authURL, err := e.sync.client.AuthorizeURL(state, openbanking.AuthorizeOptions{Scope: linkScope})
	if err != nil {
		e.log.Error("link: authorize url", "err", err)
		e.page(w, http.StatusInternalServerError, bot.ParseLang(g.Settings.Language), pageFailed, nil)
		return
	}
	e.links.mu.Lock()
	l, live := e.links.links[token]
	started := live && !l.started
	if started {
		l.started = true
		e.links.states[state] = token
	}
	e.links.mu.Unlock()
	if !started {
		// Two tabs raced on one link: the first one has it.
		e.page(w, http.StatusGone, bot.ParseLang(g.Settings.Language), pageExpired, nil)
		return
	}
	http.Redirect(w, r, authURL, http.StatusSeeOther)
}

// oauthCallback finishes a consent: the state must be one this process
// made for a live link, and is spent by its first use.
func (e *Engine) oauthCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := q.Get("state")
	e.links.mu.Lock()
	e.links.gc(e.now())
	token, ok := e.links.states[state]
	delete(e.links.states, state)
	var l pendingLink
	if ok {
		if pl, live := e.links.links[token]; live {
			l = *pl
		} else {
			ok = false
		}
		delete(e.links.links, token)
	}
	e.links.mu.Unlock()
	if !ok || state == "" {
		e.log.Warn("link: callback with an unknown, reused or expired state")
		e.page(w, http.StatusBadRequest, e.lang, pageBadState, nil)
		return
	}
	// The work goes on when the browser goes away (a phone switching back
	// from the bank's app): the code is spent, and the treasurer must get
	// the account choice, or the failure, by DM.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), time.Minute)
	defer cancel()
	g, err := e.db.Group(ctx, l.group)
	if err != nil {
		e.log.Error("link: the link's group", "err", err)
		e.page(w, http.StatusInternalServerError, e.lang, pageFailed, nil)
		return
	}
	lang := bot.ParseLang(g.Settings.Language)
	cb, err := openbanking.ParseCallback(q, state)
	if err != nil {
		var oe *openbanking.Error
		cancelled := errors.As(err, &oe) && oe.RspCode == "access_denied"
		e.log.Info("link: consent not given", "group_id", g.ID, "cancelled", cancelled)
		e.dmLinkOutcome(ctx, g, l.by, lang, bot.ReplyLinkCancelled)
		e.page(w, http.StatusOK, lang, pageCancelled, nil)
		return
	}
	tok, accounts, err := exchangeCode(ctx, e.db, e.sync.client, cb.Code)
	if err != nil || len(accounts) == 0 {
		e.log.Warn("link: code exchange or account list failed", "group_id", g.ID, "err", err, "accounts", len(accounts))
		e.dmLinkOutcome(ctx, g, l.by, lang, bot.ReplyLinkFailed)
		e.page(w, http.StatusBadGateway, lang, pageFailed, nil)
		return
	}
	pick := newToken(9)
	e.links.mu.Lock()
	e.links.picks[pick] = &pendingPick{group: g.ID, by: l.by, tokenName: tok.UserSeqNo, accounts: accounts, expires: e.now().Add(LinkTTL)}
	e.links.mu.Unlock()
	var rows [][]bot.Button
	for i, a := range accounts {
		label := strings.TrimSpace(a.BankName + " " + a.AccountNumMasked + " " + a.AccountAlias)
		rows = append(rows, []bot.Button{{Text: label, Data: "acct:" + pick + ":" + strconv.Itoa(i)}})
	}
	e.enqueueDM(ctx, g, l.by, "link/"+pick, bot.Reply(lang, bot.ReplyLinkPick, g.Name), rows)
	e.page(w, http.StatusOK, lang, pageDone, map[string]string{"Group": g.Name})
}

// pickAccount applies the treasurer's choice of account (button data
// "acct:<pick>:<i>"): the account is linked to the pick's group. A choice
// that expired, was made already or is someone else's is errPickGone.
func (e *Engine) pickAccount(ctx context.Context, by store.ChatUser, pick, index string) (store.Group, store.Account, error) {
	e.links.mu.Lock()
	e.links.gc(e.now())
	p, ok := e.links.picks[pick]
	if ok && p.by == by {
		delete(e.links.picks, pick)
	}
	e.links.mu.Unlock()
	if !ok || p.by != by {
		return store.Group{}, store.Account{}, errPickGone
	}
	i, err := strconv.Atoi(index)
	if err != nil || i < 0 || i >= len(p.accounts) {
		return store.Group{}, store.Account{}, errPickGone
	}
	g, err := e.db.Group(ctx, p.group)
	if err != nil {
		return g, store.Account{}, err
	}
	a, err := attachAccount(ctx, e.db, g.ID, by.String(), p.tokenName, p.accounts[i])
	if err == nil {
		// The account picked now is the group's: an account picked before
		// (a wrong one, or an old 모임통장) is no longer read. Its deposits
		// stay on the books; linking it again resumes it.
		others, lerr := e.db.Accounts(ctx, g.ID)
		for _, o := range others {
			if lerr == nil && o.ID != a.ID && o.Relink == nil {
				if _, err := e.db.MarkRelink(ctx, o.ID, relinkReplaced+a.ID); err != nil {
					e.log.Error("stop reading a replaced account", "account_id", o.ID, "err", err)
				}
			}
		}
		select {
		case e.linked <- struct{}{}:
		default: // a refresh is pending already
		}
	}
	return g, a, err
}

// relinkReplaced starts the Relink.Reason of an account a later link
// replaced.
const relinkReplaced = "replaced by "

// replaced reports whether a later link replaced a: the group no longer
// reads it.
func replaced(a store.Account) bool {
	return a.Relink != nil && strings.HasPrefix(a.Relink.Reason, relinkReplaced)
}

// errPickGone is a tap on an account choice that expired, was made
// already, or is someone else's.
var errPickGone = errors.New("link: the account choice is gone")

// dmLinkOutcome tells the treasurer by DM how a consent ended.
func (e *Engine) dmLinkOutcome(ctx context.Context, g store.Group, by store.ChatUser, lang bot.Lang, key bot.ReplyKey) {
	e.enqueueDM(ctx, g, by, "link-outcome/"+newToken(9), bot.Reply(lang, key, g.Name), nil)
}

// enqueueDM queues a direct message to a chat user.
func (e *Engine) enqueueDM(ctx context.Context, g store.Group, to store.ChatUser, key, text string, buttons [][]bot.Button) {
	msgs := e.notes.toChats(g, []store.ChatRef{store.ChatRef(to)}, bot.KindReply, key, text, buttons)
	if _, err := e.db.Enqueue(ctx, msgs...); err != nil {
		e.log.Error("queue a direct message", "group_id", g.ID, "err", err)
		return
	}
	e.dispatch.Wake()
}

// The pages of the linking flow.
const (
	pageConsent   = "consent"
	pageDone      = "done"
	pageCancelled = "cancelled"
	pageExpired   = "expired"
	pageBadState  = "bad_state"
	pageFailed    = "failed"
)

// pageText is each page's title and body in Korean and English; html/template
// escapes every value put into them.
var pageText = map[string][2][2]string{
	pageConsent: {
		{"{{.Group}} 모임통장 연결", "moimbot이 이 모임통장의 계좌 목록과 거래 내역을 읽어 회비 입금을 확인합니다. 읽기만 하며 돈을 옮길 수 없습니다. 다음 화면은 금융결제원 오픈뱅킹의 동의 화면입니다."},
		{"Link the {{.Group}} group account", "moimbot will read this account's list of accounts and transactions to check the dues deposits. It only reads: it cannot move money. The next page is KFTC Open Banking's consent page."},
	},
	pageDone: {
		{"동의를 받았습니다", "텔레그램의 DM에서 {{.Group}}의 모임통장을 골라 주세요. 이 창은 닫아도 됩니다."},
		{"Consent received", "Pick the {{.Group}} group account in your DM with the bot. You can close this window."},
	},
	pageCancelled: {
		{"연결을 취소했습니다", "아무것도 연결되지 않았습니다. 다시 하려면 채팅에서 /link 를 보내 주세요."},
		{"Linking cancelled", "Nothing was linked. To try again, send /link in the chat."},
	},
	pageExpired: {
		{"만료된 링크입니다", "이 링크는 이미 쓰였거나 30분이 지났습니다. 채팅에서 /link 로 새 링크를 받아 주세요."},
		{"This link has expired", "It was used already or is more than 30 minutes old. Send /link in the chat for a new one."},
	},
	pageBadState: {
		{"잘못된 요청입니다", "이 동의 응답은 moimbot이 시작한 연결과 맞지 않습니다(이미 쓰였거나 만료되었거나 위조됨). 아무것도 연결되지 않았습니다."},
		{"Invalid request", "This consent answer matches no link moimbot started (used already, expired or forged). Nothing was linked."},
	},
	pageFailed: {
		{"연결하지 못했습니다", "은행 응답에 문제가 있었습니다. 잠시 뒤 채팅에서 /link 로 다시 해 주세요."},
		{"Linking failed", "The bank's answer was not usable. Please try /link again in a moment."},
	},
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
button{font-size:1.1rem;padding:.7rem 1.2rem;border-radius:.5rem;border:0;background:#1a73e8;color:#fff;width:100%}</style>
</head><body><h1>{{.Title}}</h1><p>{{.Body}}</p>
{{if .Action}}<form method="post" action="{{.Action}}"><button type="submit">{{.Button}}</button></form>{{end}}
</body></html>
`))

// page writes one of the linking pages in lang with status.
func (e *Engine) page(w http.ResponseWriter, status int, lang bot.Lang, name string, data map[string]string) {
	i := 0
	if lang == bot.English {
		i = 1
	}
	fill := func(s string) string {
		var b strings.Builder
		// The page template escapes the result once, as text.
		if err := texttemplate.Must(texttemplate.New("").Parse(s)).Execute(&b, data); err != nil {
			return s
		}
		return b.String()
	}
	t := pageText[name][i]
	button := "은행 동의 화면으로"
	if i == 1 {
		button = "Continue to the bank"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8") // the security headers are guardPages'
	w.WriteHeader(status)
	pageTemplate.Execute(w, map[string]any{"Lang": string(lang), "Title": fill(t[0]), "Body": fill(t[1]),
		"Action": data["Action"], "Button": button})
}
