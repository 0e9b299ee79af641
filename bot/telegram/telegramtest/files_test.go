package telegramtest_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot"

	"github.com/moimbot/moimbot/bot/telegram/telegramtest"
)

// TestFileFaults: getFile reports a file's size and refuses files over
// 20 MB; SetFileFault changes the reported size and serves the download
// chunked; every download is recorded.
func TestFileFaults(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 10_000) // 160,000 bytes, several chunks
	tests := []struct {
		name       string
		fault      telegramtest.FileFault
		wantSize   int64  // getFile's file_size
		wantErr    string // getFile's error, "" for none
		wantLength int64  // the download's Content-Length, -1 for none
		wantStatus int    // the download's status, 0 for a hang-up
	}{
		{"Plain", telegramtest.FileFault{}, int64(len(data)), "", int64(len(data)), 200},
		{"SmallerSizeReported", telegramtest.FileFault{Size: 100}, 100, "", int64(len(data)), 200},
		{"Exactly20MB", telegramtest.FileFault{Size: 20 << 20}, 20 << 20, "", int64(len(data)), 200},
		{"Over20MB", telegramtest.FileFault{Size: 20<<20 + 1}, 0, "Bad Request: file is too big", 0, 0},
		{"Chunked", telegramtest.FileFault{Chunked: true}, int64(len(data)), "", -1, 200},
		{"Expired", telegramtest.FileFault{Status: 404}, int64(len(data)), "", 0, 404},
		{"Hangup", telegramtest.FileFault{Hangup: true}, int64(len(data)), "", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			b := f.newSyncBot(t)
			ctx := testCtx(t)
			m, err := f.srv.SendDocument(aliceID, aliceID, telegramtest.Upload{FileName: "거래내역.xlsx", Data: data}, "")
			if err != nil {
				t.Fatal(err)
			}
			if err := f.srv.SetFileFault(m.Document.FileID, tc.fault); err != nil {
				t.Fatal(err)
			}
			if got, want := m.Document.FileSize, int64(len(data)); got != want {
				t.Errorf("document file_size = %d, want the true size %d", got, want)
			}
			file, err := b.GetFile(ctx, &bot.GetFileParams{FileID: m.Document.FileID})
			if tc.wantErr != "" {
				if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("getFile err = %v, want %q", err, tc.wantErr)
				}
				if got := f.srv.Downloads(); len(got) != 0 {
					t.Errorf("downloads = %v, want none", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if file.FileSize != tc.wantSize || file.FilePath == "" || file.FileID != m.Document.FileID {
				t.Errorf("getFile = %+v, want file_size %d and a file_path", file, tc.wantSize)
			}
			want := []telegramtest.Download{{FilePath: file.FilePath, Status: tc.wantStatus}}
			defer func() {
				// After a hang-up on a reused connection net/http
				// retries the GET once on a new one.
				got := f.srv.Downloads()
				if len(got) > 1 && tc.fault.Hangup {
					got = got[:1]
				}
				if len(got) != 1 || got[0].FilePath != want[0].FilePath || got[0].Status != want[0].Status {
					t.Errorf("downloads = %+v, want %+v", got, want)
				}
			}()
			resp, err := http.Get(b.FileDownloadLink(file))
			if tc.wantStatus == 0 {
				if err == nil {
					resp.Body.Close()
					t.Errorf("download answered %s, want a hang-up", resp.Status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("download status = %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if tc.wantStatus != http.StatusOK {
				if want := `{"ok":false,"error_code":404,"description":"Not Found"}`; string(got) != want {
					t.Errorf("download answered %s, want %s", got, want)
				}
				return
			}
			if !bytes.Equal(got, data) {
				t.Errorf("downloaded %d bytes, want the %d bytes sent", len(got), len(data))
			}
			if resp.ContentLength != tc.wantLength {
				t.Errorf("Content-Length = %d, want %d", resp.ContentLength, tc.wantLength)
			}
		})
	}
	t.Run("UnknownFile", func(t *testing.T) {
		f := newFixture(t)
		if err := f.srv.SetFileFault("nope", telegramtest.FileFault{Size: 1}); err == nil {
			t.Error("SetFileFault of an unknown file succeeded")
		}
	})
}

// TestDownloadErrors: a download with a wrong token or of an unknown path
// fails, and is recorded with its status.
func TestDownloadErrors(t *testing.T) {
	f := newFixture(t)
	b := f.newSyncBot(t)
	m, err := f.srv.SendDocument(aliceID, aliceID, telegramtest.Upload{FileName: "a.csv", Data: []byte("a,b\n")}, "")
	if err != nil {
		t.Fatal(err)
	}
	file, err := b.GetFile(testCtx(t), &bot.GetFileParams{FileID: m.Document.FileID})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, url string
		want              int
	}{
		{"WrongToken", http.MethodGet, f.srv.URL + "/file/bot1:WRONG/" + file.FilePath, http.StatusUnauthorized},
		{"UnknownPath", http.MethodGet, f.srv.URL + "/file/bot" + f.srv.Token + "/documents/none.csv", http.StatusNotFound},
		{"Post", http.MethodPost, b.FileDownloadLink(file), http.StatusMethodNotAllowed},
		{"Head", http.MethodHead, b.FileDownloadLink(file), http.StatusOK},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, tc.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.want)
			}
			if d := f.srv.Downloads(); len(d) != i+1 || d[i].Status != tc.want {
				t.Errorf("downloads = %+v, want %d, the last with status %d", d, i+1, tc.want)
			}
		})
	}
}

// TestUserDocumentCaption: a user's document carries its caption with
// bot_command entities; a caption over 1024 UTF-16 units is refused.
func TestUserDocumentCaption(t *testing.T) {
	f := newFixture(t)
	m, err := f.srv.SendDocument(aliceID, aliceID, telegramtest.Upload{FileName: "statement.xls", Data: []byte("<html>")}, "/import 5월")
	if err != nil {
		t.Fatal(err)
	}
	if m.Caption != "/import 5월" || len(m.CaptionEntities) != 1 || m.CaptionEntities[0].Type != "bot_command" || m.CaptionEntities[0].Length != 7 {
		t.Errorf("caption %q, entities %+v, want one bot_command of length 7", m.Caption, m.CaptionEntities)
	}
	if got, want := m.Document.MimeType, "application/vnd.ms-excel"; got != want {
		t.Errorf("mime_type = %q, want %q", got, want)
	}
	if _, err := f.srv.SendDocument(aliceID, aliceID, telegramtest.Upload{FileName: "a.csv", Data: []byte("a")}, strings.Repeat("가", 1025)); err == nil {
		t.Error("a caption of 1025 characters was accepted")
	}
}

// TestDeleteMessage: deleteMessage removes the bot's messages anywhere and
// users' messages in private chats, less than 48 hours old, and Deleted
// lists them.
func TestDeleteMessage(t *testing.T) {
	start := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		chat    int64
		byBot   bool          // the message is the bot's, else Alice's
		age     time.Duration // how long after sending it is deleted
		twice   bool          // delete it a second time
		wantErr string
	}{
		{"UsersInPrivateChat", aliceID, false, 0, false, ""},
		{"UsersInPrivateChatAlmost48h", aliceID, false, 48*time.Hour - time.Second, false, ""},
		{"UsersInPrivateChat48h", aliceID, false, 48 * time.Hour, false, "Bad Request: message can't be deleted"},
		{"BotsInSupergroup", superID, true, time.Hour, false, ""},
		{"BotsInPrivateChat48h", aliceID, true, 49 * time.Hour, false, "Bad Request: message can't be deleted"},
		{"UsersInSupergroup", superID, false, 0, false, "Bad Request: message can't be deleted"},
		{"Twice", aliceID, false, 0, true, "Bad Request: message to delete not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := telegramtest.NewClock(start)
			f := newFixture(t, telegramtest.WithClock(clock.Now))
			b := f.newSyncBot(t)
			ctx := testCtx(t)
			var id int
			if tc.byBot {
				m, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: tc.chat, Text: "안내"})
				if err != nil {
					t.Fatal(err)
				}
				id = m.ID
			} else {
				m, err := f.srv.SendText(tc.chat, aliceID, "hunter2")
				if err != nil {
					t.Fatal(err)
				}
				id = m.MessageID
			}
			clock.Advance(tc.age)
			del := func() error {
				_, err := b.DeleteMessage(ctx, &bot.DeleteMessageParams{ChatID: tc.chat, MessageID: id})
				return err
			}
			err := del()
			if tc.twice && err == nil {
				err = del()
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("deleteMessage: %v", err)
				}
				if got, want := f.srv.Deleted(tc.chat), []int{id}; !slices.Equal(got, want) {
					t.Errorf("Deleted = %v, want %v", got, want)
				}
				if _, ok := f.srv.Message(tc.chat, id); ok {
					t.Error("the message still exists")
				}
				return
			}
			if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("deleteMessage err = %v, want %q", err, tc.wantErr)
			}
			if want := tc.twice; (len(f.srv.Deleted(tc.chat)) == 1) != want {
				t.Errorf("Deleted = %v after a failed delete (twice %v)", f.srv.Deleted(tc.chat), tc.twice)
			}
		})
	}
	t.Run("UnknownChat", func(t *testing.T) {
		f := newFixture(t)
		if got := f.srv.Deleted(-999); got != nil {
			t.Errorf("Deleted of an unknown chat = %v, want nil", got)
		}
	})
}
