package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// settleTimeout bounds how long the prompt waits for the replies to a line
// before it asks for the next one; a reply the chat refused waits for its
// retry in the outbox and shows up later.
const settleTimeout = 10 * time.Second

// isTerminal reports whether r is a terminal (stdin typed by a person).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && f != nil && term.IsTerminal(int(f.Fd()))
}

// prompt reads lines from in after the story, with the engine running, and
// plays each as a chat adapter would deliver it to the command router:
//
//   - a line is a message from the current user in the group chat, or in
//     the user's DM when it starts with "dm ";
//   - "/as 김민수" (a roster member's name or id) makes that member the
//     current user, "/as 총무" (or "/as treasurer") the treasurer again;
//   - "/tap <n>" taps button n, counted across the rows, of the last
//     message with buttons the current user received (in the group chat or
//     their DM);
//   - "/quit", end of input or a cancelled ctx (Ctrl-C) ends it.
//
// The current user starts as the treasurer. After each line it waits until
// the dispatcher has delivered the replies (they print through the console
// adapter) before it shows the prompt again. It returns nil when it ends;
// an error only when the store cannot be read.
func (d *demo) prompt(ctx context.Context, in io.Reader) error {
	d.say("\n⌨️  명령을 입력해 보세요. 한 줄이 단톡방 메시지가 됩니다 (/현황, /미납, /명단, /help …). \"dm \"으로 시작하면 DM으로 보냅니다.\n"+
		"   /as 김민수 — 회원으로 보내기 · /as 총무 — 총무로 돌아오기 · /tap 번호 — 받은 메시지의 버튼 누르기 · /quit — 끝내기",
		"\n⌨️  Type commands: each line is a message to the group chat (/status, /unpaid, /members, /help …); start it with \"dm \" to send it by DM.\n"+
			"   /as 김민수 — speak as a member · /as treasurer — back to the treasurer · /tap <n> — tap a button you received · /quit — end")
	lines := make(chan string)
	done := make(chan struct{})
	defer close(done)
	// The reader may stay blocked on a terminal after ctx is cancelled;
	// the process exits then anyway.
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-done:
				return
			}
		}
	}()
	p := &promptState{user: d.treasurer()}
	for {
		who := p.user.Name
		switch {
		case p.treasurer() && d.lang == bot.English:
			who += " (treasurer)"
		case p.treasurer():
			who += "(총무)"
		}
		io.WriteString(d.w, who+"> ")
		shown := d.w.count()
		var line string
		select {
		case <-ctx.Done():
			io.WriteString(d.w, "\n")
			return nil
		case l, ok := <-lines:
			if !ok {
				io.WriteString(d.w, "\n")
				return nil
			}
			line = strings.TrimSpace(l)
		}
		if d.echo {
			if d.w.count() != shown {
				// A message was printed after the prompt: show the
				// prompt again, so the line stands after it.
				io.WriteString(d.w, who+"> ")
			}
			io.WriteString(d.w, line+"\n")
		}
		quit, err := d.promptLine(ctx, p, line)
		if err != nil || quit {
			return err
		}
		if err := d.settle(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// promptState is who the prompt speaks as, and how many updates it sent.
type promptState struct {
	user bot.User
	n    int
}

func (p *promptState) treasurer() bool { return p.user.ID == demoTreasurerChat.ID }

// updateID returns a new update id for the prompt's next update.
func (p *promptState) updateID() string {
	p.n++
	return "prompt-" + strconv.Itoa(p.n)
}

// promptLine plays one line of the prompt; quit is true for /quit.
func (d *demo) promptLine(ctx context.Context, p *promptState, line string) (quit bool, err error) {
	word, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	switch word {
	case "":
		return false, nil
	case "/quit", "/exit":
		return true, nil
	case "/as":
		return false, d.switchUser(ctx, p, arg)
	case "/tap":
		d.tapNumber(ctx, p, arg)
		return false, nil
	case "dm", "DM":
		if arg == "" {
			return false, nil
		}
		d.handle(ctx, bot.Update{ID: p.updateID(), Chat: p.user.Ref(), Private: true, From: p.user, Text: arg})
		return false, nil
	}
	d.handle(ctx, bot.Update{ID: p.updateID(), Chat: demoGroupChat, Title: d.group.Name, From: p.user, Text: line})
	return false, nil
}

// switchUser makes the treasurer, or the roster member named by name or
// id, the prompt's current user.
func (d *demo) switchUser(ctx context.Context, p *promptState, name string) error {
	switch name {
	case "총무", "treasurer", d.party.User.Name:
		p.user = d.treasurer()
		d.say("이제 총무 %s님으로 보냅니다.", "Now speaking as the treasurer, %s.", p.user.Name)
		return nil
	case "":
		d.say("누구로 보낼까요? 예: /as 김민수, /as 총무", "As whom? For example /as 김민수 or /as treasurer")
		return nil
	}
	// The roster as stored now: members added at the prompt count too.
	g, err := d.db.Group(ctx, d.group.ID)
	if err != nil {
		return err
	}
	var found []ledger.Member
	for _, m := range g.Members {
		if m.Name == name || m.ID == name {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 0:
		d.say("명단에 %q님이 없어요 (/명단으로 확인해 보세요).", "No member %q on the roster (see /members).", name)
		return nil
	case 1:
	default:
		d.say("%q님이 여러 명이에요. 회원 번호(m01 등)로 적어 주세요.", "Several members are named %q; use the member id (m01, …).", name)
		return nil
	}
	p.user = memberUser(found[0])
	d.mu.Lock()
	if d.names == nil {
		d.names = make(map[string]string)
	}
	d.names[p.user.ID] = p.user.Name
	d.mu.Unlock()
	d.say("이제 %s님(%s)으로 보냅니다.", "Now speaking as %s (%s).", p.user.Name, found[0].ID)
	return nil
}

// tapNumber taps button arg (1, 2, …, counted across the rows) of the last
// message with buttons the current user received, in the group chat or
// their DM.
func (d *demo) tapNumber(ctx context.Context, p *promptState, arg string) {
	var last sentNotice
	var buttons []bot.Button
	for _, s := range d.latest() {
		if s.id == "" || (s.msg.Chat != demoGroupChat && s.msg.Chat != p.user.Ref()) {
			continue
		}
		for _, row := range s.msg.Buttons {
			buttons = append(buttons, row...)
		}
		if len(buttons) > 0 {
			last = s
			break
		}
	}
	if len(buttons) == 0 {
		d.say("%s님이 받은 메시지에 누를 버튼이 없어요.", "%s has no message with buttons to tap.", p.user.Name)
		return
	}
	n, err := strconv.Atoi(arg)
	if err != nil || n < 1 || n > len(buttons) {
		d.say("버튼은 1–%d번이에요: /tap 1", "The buttons are 1–%d: /tap 1", len(buttons))
		return
	}
	b := buttons[n-1]
	d.say("👆 [%s]", "👆 [%s]", b.Text)
	d.tap(ctx, p.user, last.msg.Chat, last.id, b, p.updateID())
}

// settle waits, up to settleTimeout, until the outbox holds no message
// due now: the running dispatcher has delivered the replies to the last
// line, and the console has printed (and recorded) them.
func (d *demo) settle(ctx context.Context) error {
	deadline := time.Now().Add(settleTimeout)
	for {
		ms, err := d.db.Messages(ctx, 0)
		if err != nil {
			return err
		}
		now := d.clock.Now()
		busy := false
		for _, m := range ms {
			if m.State == store.StateSending || (m.State == store.StatePending && !m.NextAttemptAt.After(now)) {
				busy = true
				break
			}
		}
		if !busy || time.Now().After(deadline) {
			return nil
		}
		t := time.NewTimer(10 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
