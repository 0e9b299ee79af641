package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

func TestBackupWhileWriting(t *testing.T) {
	db := mustOpen(t)
	g, a := setup(t, db)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		bal := int64(100000)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			bal += 30000
			if _, err := db.Ingest(ctx, a.ID, []ledger.Deposit{in(i, "김민수", 30000, bal)}, store.Cursor{}, store.IngestOptions{Notify: noticeEach}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	time.Sleep(20 * time.Millisecond)
	var buf bytes.Buffer
	n, err := db.Backup(ctx, &buf)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Errorf("Backup reported %d bytes, wrote %d", n, buf.Len())
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	info, err := store.Verify(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Schema != store.SchemaVersion || info.Groups != 1 || info.Transactions == 0 {
		t.Errorf("info = %+v", info)
	}
	cp := mustOpenAt(t, path, func(o *store.Options) { o.ReadOnly = true })
	if err := cp.Check(ctx); err != nil {
		t.Errorf("the copy is inconsistent: %v", err)
	}
	if _, err := cp.Group(ctx, g.ID); err != nil {
		t.Error(err)
	}
}

func TestBackupFile(t *testing.T) {
	db := mustOpen(t)
	setup(t, db)
	path := filepath.Join(t.TempDir(), "backup.db")
	if _, err := db.BackupFile(ctx, path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode = %v, want 0600", fi.Mode().Perm())
	}
	if _, err := os.Stat(path + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file left behind")
	}
}

func TestRestore(t *testing.T) {
	dir := t.TempDir()
	path, backup := filepath.Join(dir, "m.db"), filepath.Join(dir, "b.db")
	db := mustOpenAt(t, path)
	setup(t, db)
	if _, err := db.BackupFile(ctx, backup); err != nil {
		t.Fatal(err)
	}
	later := testGroup()
	later.Name = "나중에"
	db.PutGroup(ctx, "cli", later)

	t.Run("RefusedWhileOpen", func(t *testing.T) {
		if _, err := store.Restore(ctx, backup, path, time.Now()); !errors.Is(err, store.ErrLocked) {
			t.Errorf("err = %v, want ErrLocked", err)
		}
	})
	db.Close()

	t.Run("RefusesNonDatabase", func(t *testing.T) {
		junk := filepath.Join(dir, "junk")
		os.WriteFile(junk, bytes.Repeat([]byte("x"), 8192), 0o600)
		if _, err := store.Restore(ctx, junk, path, time.Now()); err == nil {
			t.Error("restored from junk")
		}
		if _, err := store.Restore(ctx, filepath.Join(dir, "none"), path, time.Now()); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("missing file: err = %v", err)
		}
	})

	kept, err := store.Restore(ctx, backup, path, time.Date(2024, 3, 15, 3, 4, 5, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if want := path + ".before-restore-20240315T030405Z"; kept != want {
		t.Errorf("kept = %q, want %q", kept, want)
	}
	db = mustOpenAt(t, path)
	if _, err := db.GroupByName(ctx, "나중에"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("restored database has the later group: %v", err)
	}
	db.Close()
	old := mustOpenAt(t, kept)
	if _, err := old.GroupByName(ctx, "나중에"); err != nil {
		t.Errorf("kept database lost the later group: %v", err)
	}

	t.Run("OverDamagedFile", func(t *testing.T) {
		damaged := filepath.Join(t.TempDir(), "damaged.db")
		os.WriteFile(damaged, bytes.Repeat([]byte{0xff}, 8192), 0o600)
		kept, err := store.Restore(ctx, backup, damaged, time.Now())
		if err != nil || kept == "" {
			t.Fatalf("kept %q, err %v", kept, err)
		}
		mustOpenAt(t, damaged)
	})
	t.Run("IntoEmptyPlace", func(t *testing.T) {
		fresh := filepath.Join(t.TempDir(), "new.db")
		kept, err := store.Restore(ctx, backup, fresh, time.Now())
		if err != nil || kept != "" {
			t.Fatalf("kept %q, err %v", kept, err)
		}
		mustOpenAt(t, fresh)
	})
}

func TestCompact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	c := newClock()
	db := mustOpenAt(t, path, withClock(c))
	g, _ := setup(t, db)
	pad := strings.Repeat("긴 메시지 ", 200)
	for i := range 10 {
		var msgs []store.OutboxMessage
		for j := range 200 {
			msgs = append(msgs, store.OutboxMessage{Key: fmt.Sprint(i, "/", j), Chat: store.ChatRef{Platform: "telegram", ID: fmt.Sprint(j)}, Text: pad})
		}
		if _, err := db.Enqueue(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := db.Usage(ctx)
	if before.ShouldCompact() {
		t.Errorf("full database should not need compacting: %+v", before)
	}
	for {
		ms, _ := db.Claim(ctx, c.Now(), 500)
		if len(ms) == 0 {
			break
		}
		for _, m := range ms {
			db.MarkSent(ctx, m.ID)
		}
	}
	c.Advance(72 * time.Hour)
	if n, err := db.PruneOutbox(ctx, c.Now()); err != nil || n != 2000 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	u, err := db.Usage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !u.ShouldCompact() {
		t.Errorf("usage %+v: want compaction after deleting most of the data", u)
	}

	if _, err := store.Compact(ctx, path); !errors.Is(err, store.ErrLocked) {
		t.Errorf("compact while open: err = %v, want ErrLocked", err)
	}
	db.Close()
	res, err := store.Compact(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if res.After >= res.Before/2 {
		t.Errorf("compacted %d → %d bytes, want less than half", res.Before, res.After)
	}
	db = mustOpenAt(t, path)
	if _, err := db.Group(ctx, g.ID); err != nil {
		t.Error(err)
	}
	ids, _ := db.Enqueue(ctx, store.OutboxMessage{Key: "after", Chat: chatA})
	if ids[0] != 2001 {
		t.Errorf("id after compaction = %d, want 2001 (sequences kept)", ids[0])
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}

// stallWriter is a backup reader that stops reading: Write blocks until
// release is closed, then collects the bytes.
type stallWriter struct {
	release chan struct{}
	started chan struct{}
	once    sync.Once
	buf     bytes.Buffer
}

func (w *stallWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.started) })
	<-w.release
	return w.buf.Write(p)
}

// TestBackupSizedDoesNotBlockWriters: a backup reader that stops reading
// (a client that sent GET /backup and never read) does not hold up
// writers, even those that must grow the file.
func TestBackupSizedDoesNotBlockWriters(t *testing.T) {
	db := mustOpen(t)
	chat := store.ChatRef{Platform: "telegram", ID: "-1"}
	text := strings.Repeat("가", 20000) // 60 KB
	if _, err := db.Enqueue(ctx, store.OutboxMessage{Key: "first", Chat: chat, Text: text}); err != nil {
		t.Fatal(err)
	}
	w := &stallWriter{release: make(chan struct{}), started: make(chan struct{})}
	var once sync.Once
	release := func() { once.Do(func() { close(w.release) }) }
	t.Cleanup(release)
	type result struct {
		n, size int64
		err     error
	}
	done := make(chan result, 1)
	go func() {
		var size int64
		n, err := db.BackupSized(ctx, func(s int64) io.Writer { size = s; return w })
		done <- result{n, size, err}
	}()
	<-w.started

	before, err := os.Stat(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	wrote := make(chan error, 1)
	go func() {
		// 8 MB more: the file grows, and bbolt remaps it several times.
		for i := range 128 {
			if _, err := db.Enqueue(ctx, store.OutboxMessage{Key: fmt.Sprint("m", i), Chat: chat, Text: text}); err != nil {
				wrote <- err
				return
			}
		}
		wrote <- nil
	}()
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		release()
		t.Fatal("writes blocked for 10s behind a backup whose reader stopped reading")
	}
	after, _ := os.Stat(db.Path())
	if after.Size() <= before.Size() {
		t.Errorf("the file did not grow (%d to %d bytes): the test proves nothing", before.Size(), after.Size())
	}
	release()
	r := <-done
	if r.err != nil || r.n != r.size || int64(w.buf.Len()) != r.size {
		t.Fatalf("BackupSized = %d, %v; size %d, got %d bytes", r.n, r.err, r.size, w.buf.Len())
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, w.buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Verify(ctx, path); err != nil {
		t.Errorf("the copy: %v", err)
	}
	// No temporary file is left beside the database.
	entries, _ := os.ReadDir(filepath.Dir(db.Path()))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".backup-") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}
