package telegram_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/bot/telegram"
	"github.com/moimbot/moimbot/bot/telegram/telegramtest"
)

// statement is a made-up bank statement of about 4 MiB, so that reading it whole
// differs clearly from reading a little of it.
var statement = bytes.Repeat([]byte("2026-05-01,홍길동,30000\n"), 4<<20/26)

// countingDialer dials TCP and counts the bytes read from its connections,
// to see how much of a body the client took from the network.
type countingDialer struct{ read atomic.Int64 }

func (d *countingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, n: &d.read}, nil
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// checkNoToken fails the test if err or any error it wraps mentions the
// token or its secret part.
func checkNoToken(t *testing.T, err error, token string) {
	t.Helper()
	_, secret, _ := strings.Cut(token, ":")
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if s := e.Error(); strings.Contains(s, token) || strings.Contains(s, secret) {
			t.Errorf("error %q (%T) contains the token", s, e)
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, w := range u.Unwrap() {
				walk(w)
			}
		}
	}
	walk(err)
}

// TestFetchFile: FetchFile downloads a document sent to the bot, refusing
// files over the limit, by the reported size before downloading and by
// the body after reading at most limit+1 bytes of it.
func TestFetchFile(t *testing.T) {
	size := int64(len(statement))
	tests := []struct {
		name      string
		fault     telegramtest.FileFault
		edit      func(d *bot.Document) // changes the document asked for
		failGet   int                   // a scripted getFile answer with this code
		limit     int64
		wantErr   string // in the error; "" for success
		permanent bool
		getFiles  int // getFile calls
		downloads int // download requests, -1 for at least one
	}{
		{name: "OK", limit: 5 << 20, getFiles: 1, downloads: 1},
		{name: "ExactlyTheLimit", limit: size, getFiles: 1, downloads: 1},
		{name: "UnknownSize", edit: func(d *bot.Document) { d.Size = 0 }, limit: size, getFiles: 1, downloads: 1},
		{name: "OverLimitByUpdate", limit: size - 1,
			wantErr: fmt.Sprintf("the file is %d bytes, over the limit of %d", size, size-1), permanent: true},
		{name: "OverLimitByGetFile", edit: func(d *bot.Document) { d.Size = 0 }, limit: size - 1,
			wantErr: fmt.Sprintf("over the limit of %d", size-1), permanent: true, getFiles: 1},
		{name: "BodyOverReportedSize", fault: telegramtest.FileFault{Size: 100}, edit: func(d *bot.Document) { d.Size = 100 }, limit: 1000,
			wantErr: fmt.Sprintf("download: the file is %d bytes, over the limit of 1000", size), permanent: true, getFiles: 1, downloads: 1},
		{name: "ChunkedBodyOverReportedSize", fault: telegramtest.FileFault{Size: 100, Chunked: true}, edit: func(d *bot.Document) { d.Size = 100 }, limit: 1000,
			wantErr: "download: the file is over the limit of 1000 bytes", permanent: true, getFiles: 1, downloads: 1},
		{name: "ChunkedOK", fault: telegramtest.FileFault{Chunked: true}, limit: size, getFiles: 1, downloads: 1},
		{name: "Over20MBByGetFile", fault: telegramtest.FileFault{Size: 20<<20 + 1}, edit: func(d *bot.Document) { d.Size = 0 }, limit: 64 << 20,
			wantErr: "over the 20 MB Telegram lets bots download", permanent: true, getFiles: 1},
		{name: "Over20MBByUpdate", edit: func(d *bot.Document) { d.Size = 20<<20 + 1 }, limit: 64 << 20,
			wantErr: "over the 20 MB Telegram lets bots download", permanent: true},
		{name: "LinkExpired", fault: telegramtest.FileFault{Status: http.StatusNotFound}, limit: size,
			wantErr: "download: 404 Not Found", permanent: true, getFiles: 1, downloads: 1},
		{name: "DownloadServerError", fault: telegramtest.FileFault{Status: http.StatusBadGateway}, limit: size,
			wantErr: "download: 502 Bad Gateway", getFiles: 1, downloads: 1},
		{name: "DownloadHangup", fault: telegramtest.FileFault{Hangup: true}, limit: size,
			wantErr: "fetch file: download: ", getFiles: 1, downloads: -1},
		{name: "UnknownFileID", edit: func(d *bot.Document) { d.ID = "BQACAgUAAxkBAAI9" }, limit: size,
			wantErr: "fetch file: getFile: Bad Request: invalid file_id", permanent: true, getFiles: 1},
		{name: "GetFileServerError", failGet: http.StatusInternalServerError, limit: size,
			wantErr: "fetch file: getFile: ", getFiles: 1},
		{name: "NoFileID", edit: func(d *bot.Document) { d.ID = "" }, limit: size, wantErr: "no file id", permanent: true},
		{name: "ZeroLimit", limit: 0, wantErr: "limit 0 is not positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			dialer := &countingDialer{}
			a := newAdapter(t, srv, nil, func(c *telegram.Config) {
				c.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
			})
			m, err := srv.SendDocument(aliceID, aliceID, telegramtest.Upload{FileName: "거래내역.csv", Data: statement}, "")
			if err != nil {
				t.Fatal(err)
			}
			if err := srv.SetFileFault(m.Document.FileID, tc.fault); err != nil {
				t.Fatal(err)
			}
			if tc.failGet != 0 {
				srv.Fail("getFile", 1, tc.failGet, http.StatusText(tc.failGet))
			}
			d := bot.Document{ID: m.Document.FileID, Name: m.Document.FileName, MIME: m.Document.MimeType, Size: m.Document.FileSize}
			if tc.edit != nil {
				tc.edit(&d)
			}

			got, err := a.FetchFile(testCtx(t), d, tc.limit)

			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("FetchFile: %v", err)
				}
				if !bytes.Equal(got, statement) {
					t.Errorf("got %d bytes, want the %d bytes sent", len(got), len(statement))
				}
			} else {
				if err == nil || !strings.HasPrefix(err.Error(), "telegram: fetch file: ") || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want telegram: fetch file: …%s…", err, tc.wantErr)
				}
				if got != nil {
					t.Errorf("got %d bytes with the error, want none", len(got))
				}
				if p := errors.Is(err, bot.ErrPermanent); p != tc.permanent {
					t.Errorf("errors.Is(err, bot.ErrPermanent) = %v, want %v", p, tc.permanent)
				}
				checkNoToken(t, err, srv.Token)
			}
			if n := len(srv.Calls("getFile")); n != tc.getFiles {
				t.Errorf("getFile calls = %d, want %d", n, tc.getFiles)
			}
			if n := len(srv.Downloads()); n != tc.downloads && (tc.downloads >= 0 || n == 0) {
				t.Errorf("downloads = %d, want %d", n, tc.downloads)
			}
			// A refused body was not read: at most the limit, the
			// headers and a buffer's worth came off the network.
			if strings.Contains(tc.wantErr, "download: the file is") {
				if n, most := dialer.read.Load(), tc.limit+16<<10; n > most {
					t.Errorf("read %d bytes from the network, want at most %d", n, most)
				}
			}
		})
	}
}

// TestFetchFileCancelled: a download cut short by its context fails with
// the context's error and without the token, which is in the download URL.
func TestFetchFileCancelled(t *testing.T) {
	srv := newServer(t)
	// The dialer of the second connection (the download's, as the
	// first stays busy) cancels the call.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var dials atomic.Int32
	a := newAdapter(t, srv, nil, func(c *telegram.Config) {
		c.HTTPClient = &http.Client{Transport: &http.Transport{
			DisableKeepAlives: true,
			DialContext: func(dctx context.Context, network, addr string) (net.Conn, error) {
				if dials.Add(1) == 2 {
					cancel()
					<-dctx.Done()
					return nil, dctx.Err()
				}
				return (&net.Dialer{}).DialContext(dctx, network, addr)
			},
		}}
	})
	m, err := srv.SendDocument(aliceID, aliceID, telegramtest.Upload{FileName: "a.csv", Data: []byte("a,b\n")}, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.FetchFile(ctx, bot.Document{ID: m.Document.FileID}, 1<<20)
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "telegram: fetch file: download: ") {
		t.Fatalf("err = %v, want a download error wrapping context.Canceled", err)
	}
	if errors.Is(err, bot.ErrPermanent) {
		t.Errorf("err = %v wraps bot.ErrPermanent, want a transient error", err)
	}
	checkNoToken(t, err, srv.Token)
}

// TestDeleteMessage: DeleteMessage deletes a user's message in a private
// chat (the password typed after a workbook) and the bot's own messages;
// what Telegram refuses is a permanent error.
func TestDeleteMessage(t *testing.T) {
	start := time.Date(2026, 5, 1, 21, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		chat      int64
		byBot     bool          // the message is the bot's, else Alice's
		age       time.Duration // how long after it was sent it is deleted
		msg       string        // the message id to pass, "" for the message's
		platform  string        // "" for telegram
		fail      int           // a scripted deleteMessage answer with this code
		wantErr   string
		permanent bool
		calls     int // deleteMessage calls
	}{
		{name: "UsersInPrivateChat", chat: aliceID, calls: 1},
		{name: "UsersInPrivateChat47h", chat: aliceID, age: 47 * time.Hour, calls: 1},
		{name: "BotsInSupergroup", chat: superID, byBot: true, calls: 1},
		{name: "UsersInPrivateChat48h", chat: aliceID, age: 48 * time.Hour, calls: 1,
			wantErr: "telegram: delete message: Bad Request: message can't be deleted", permanent: true},
		{name: "UsersInSupergroup", chat: superID, calls: 1,
			wantErr: "telegram: delete message: Bad Request: message can't be deleted", permanent: true},
		{name: "UnknownMessage", chat: aliceID, msg: "999", calls: 1,
			wantErr: "telegram: delete message: Bad Request: message to delete not found", permanent: true},
		{name: "ServerError", chat: aliceID, fail: http.StatusInternalServerError, calls: 1,
			wantErr: "telegram: delete message: "},
		{name: "MalformedMessageID", chat: aliceID, msg: "abc", wantErr: `malformed message id "abc"`, permanent: true},
		{name: "ZeroMessageID", chat: aliceID, msg: "0", wantErr: `malformed message id "0"`, permanent: true},
		{name: "OtherPlatform", chat: aliceID, platform: "slack", wantErr: "is not a Telegram chat", permanent: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := telegramtest.NewClock(start)
			srv := newServer(t, telegramtest.WithClock(clock.Now))
			a := newAdapter(t, srv, nil)
			ctx := testCtx(t)
			var id int
			if tc.byBot {
				if err := a.Send(ctx, bot.Message{Chat: ref(tc.chat), Text: "비밀번호를 보내 주세요"}); err != nil {
					t.Fatal(err)
				}
				sent := srv.Sent(tc.chat)
				id = sent[len(sent)-1].MessageID
			} else {
				m, err := srv.SendText(tc.chat, aliceID, "hunter2")
				if err != nil {
					t.Fatal(err)
				}
				id = m.MessageID
			}
			clock.Advance(tc.age)
			if tc.fail != 0 {
				srv.Fail("deleteMessage", 1, tc.fail, http.StatusText(tc.fail))
			}
			msg, chat := strconv.Itoa(id), ref(tc.chat)
			if tc.msg != "" {
				msg = tc.msg
			}
			if tc.platform != "" {
				chat.Platform = tc.platform
			}

			err := a.DeleteMessage(ctx, chat, msg)

			if n := len(srv.Calls("deleteMessage")); n != tc.calls {
				t.Errorf("deleteMessage calls = %d, want %d", n, tc.calls)
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("DeleteMessage: %v", err)
				}
				if got, want := srv.Deleted(tc.chat), []int{id}; !slices.Equal(got, want) {
					t.Errorf("Deleted = %v, want %v", got, want)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), "telegram: delete message: ") || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if p := errors.Is(err, bot.ErrPermanent); p != tc.permanent {
				t.Errorf("errors.Is(err, bot.ErrPermanent) = %v, want %v", p, tc.permanent)
			}
			checkNoToken(t, err, srv.Token)
			if got := srv.Deleted(tc.chat); len(got) != 0 {
				t.Errorf("Deleted = %v, want none", got)
			}
			if _, ok := srv.Message(tc.chat, id); !ok {
				t.Error("the message is gone")
			}
		})
	}
}

// TestDocumentFlow: the treasurer sends a workbook in a private chat; the
// handler gets it as a document, downloads it, and deletes the password
// message that follows.
func TestDocumentFlow(t *testing.T) {
	srv := newServer(t)
	rec := newRecorder()
	a := newAdapter(t, srv, rec)
	run(t, srv, a, false)
	ctx := testCtx(t)

	sent, err := srv.SendDocument(aliceID, aliceID, telegramtest.Upload{FileName: "거래내역.xlsx", Data: statement}, "")
	if err != nil {
		t.Fatal(err)
	}
	u := rec.next(t)
	want := &bot.Document{ID: sent.Document.FileID, Name: "거래내역.xlsx",
		MIME: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Size: int64(len(statement))}
	if u.Document == nil || *u.Document != *want || u.Text != "" || !u.Private || u.MessageID != strconv.Itoa(sent.MessageID) {
		t.Fatalf("update = %+v, document %+v; want document %+v", u, u.Document, want)
	}
	data, err := a.FetchFile(ctx, *u.Document, 10<<20)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, statement) {
		t.Errorf("fetched %d bytes, want the %d sent", len(data), len(statement))
	}

	pw, err := srv.SendText(aliceID, aliceID, "0000")
	if err != nil {
		t.Fatal(err)
	}
	u = rec.next(t)
	if u.Text != "0000" || u.MessageID != strconv.Itoa(pw.MessageID) {
		t.Fatalf("update = %+v, want the password message %d", u, pw.MessageID)
	}
	if err := a.DeleteMessage(ctx, u.Chat, u.MessageID); err != nil {
		t.Fatal(err)
	}
	if got, want := srv.Deleted(aliceID), []int{pw.MessageID}; !slices.Equal(got, want) {
		t.Errorf("Deleted = %v, want %v", got, want)
	}
}

// BenchmarkFetchFile measures FetchFile of a 4 MiB document from the fake
// over loopback: getFile and the download.
func BenchmarkFetchFile(b *testing.B) {
	srv := newServer(b)
	a := newAdapter(b, srv, nil)
	m, err := srv.SendDocument(aliceID, aliceID, telegramtest.Upload{FileName: "거래내역.xlsx", Data: statement}, "")
	if err != nil {
		b.Fatal(err)
	}
	d := bot.Document{ID: m.Document.FileID, Size: m.Document.FileSize}
	ctx := context.Background()
	b.SetBytes(int64(len(statement)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.FetchFile(ctx, d, 10<<20); err != nil {
			b.Fatal(err)
		}
	}
}
