package statement

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

const benchRows = 10_000

// benchRow is the i-th row of the benchmark files: a year of deposits and
// some withdrawals, oldest first.
func benchRow(i int) (at time.Time, in, out int64, name string, balance int64) {
	at = kst(2026, 1, 1, 9, 0, 0).Add(time.Duration(i) * 47 * time.Minute)
	names := []string{"김민수", "이서연", "박지훈", "최유진", "정하늘 회비", "한도윤11월"}
	if i%5 == 4 {
		return at, 0, 12500, "스타벅스 역삼", int64(1_000_000 + i*1000)
	}
	return at, 30000, 0, names[i%len(names)], int64(1_000_000 + i*1000)
}

// benchXLSX is a 10,000-row workbook with a preamble, written with
// excelize's stream writer.
func benchXLSX(tb testing.TB) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	set := func(r int, v []any) {
		cell, _ := excelize.CoordinatesToCellName(1, r)
		if err := sw.SetRow(cell, v); err != nil {
			tb.Fatal(err)
		}
	}
	set(1, []any{"거래내역조회"})
	set(2, []any{"계좌번호", "1002-123-456789", "예금주", "김총무"})
	set(3, []any{"거래일시", "적요", "기재내용", "찾으신금액", "맡기신금액", "거래후잔액", "취급기관"})
	for i := range benchRows {
		at, in, out, name, bal := benchRow(i)
		set(4+i, []any{at.Format("2006.01.02 15:04:05"), "타행이체", name, out, in, bal, "우리은행"})
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func benchCSV() []byte {
	var b strings.Builder
	b.WriteString("거래일시,적요,기재내용,찾으신금액,맡기신금액,거래후잔액,취급기관\n")
	for i := range benchRows {
		at, in, out, name, bal := benchRow(i)
		fmt.Fprintf(&b, "%s,타행이체,%s,\"%s\",\"%s\",\"%s\",우리은행\n", at.Format("2006.01.02 15:04:05"), name, won(out), won(in), won(bal))
	}
	return []byte(b.String())
}

// peakHeap reads once more outside the timing and reports the largest
// HeapInuse seen above the heap before, sampled every millisecond.
func peakHeap(b *testing.B, read func()) {
	b.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapInuse, ms.HeapInuse
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	read()
	close(done)
	wg.Wait()
	b.ReportMetric(float64(peak-base)/(1<<20), "peak-heap-MiB")
}

func benchRead(b *testing.B, name string, data []byte) {
	read := func() {
		st, err := Read(name, data, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(st.Rows) != benchRows {
			b.Fatalf("%d rows, want %d", len(st.Rows), benchRows)
		}
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		read()
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.StopTimer()
	peakHeap(b, read)
}

// BenchmarkReadXLSX10k reads a 10,000-row workbook: rows per second,
// bytes allocated per read (B/op) and the peak heap of one read.
func BenchmarkReadXLSX10k(b *testing.B) {
	benchRead(b, "bench.xlsx", benchXLSX(b))
}

// BenchmarkReadCSV10k reads the same rows as a CSV file.
func BenchmarkReadCSV10k(b *testing.B) {
	benchRead(b, "bench.csv", benchCSV())
}
