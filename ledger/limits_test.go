package ledger

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// endless is an endless reader of one byte, like /dev/zero.
type endless byte

func (b endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// TestInputLimits: inputs larger than the bounds are refused with an error
// that says so, before they are parsed; inputs at the bounds are read.
func TestInputLimits(t *testing.T) {
	const header = "tran_date,tran_time,inout_type,print_content,tran_amt,after_balance_amt\n"
	row := func(text string) string { return "20261125,093012,입금," + text + ",30000,130000\n" }
	// A quoted print_content that is long, but within the line limit.
	atLimit := header + `20261125,093012,입금,"` + strings.Repeat("a", MaxCSVLine-len(`20261125,093012,입금,"",30000,130000`)) + `",30000,130000` + "\n"
	tests := []struct {
		name string
		data string
		want string // "" when the data must be read without error
	}{
		{"LongLine", header + row(strings.Repeat("가", 50_000)), "line 2 is longer than 64 KiB"},
		{"LongFirstLine", strings.Repeat("x", MaxCSVLine+1), "line 1 is longer than 64 KiB"},
		{"LongLineWithoutNewline", header + row("김민수") + strings.Repeat("y", MaxCSVLine+1), "line 3 is longer than 64 KiB"},
		{"LineAtLimit", atLimit, ""},
		{"TooLarge", header + strings.Repeat(row("김민수"), MaxTransactionsSize/len(row("김민수"))+1), "larger than 64 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadTransactions([]byte(tt.data))
			if tt.want == "" {
				if err != nil {
					t.Errorf("ReadTransactions: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadTransactions error = %v, want ErrInput containing %q", err, tt.want)
			}
		})
	}

	t.Run("EndlessGroupFile", func(t *testing.T) {
		_, err := ReadGroup(io.MultiReader(strings.NewReader(`{"name":"`), endless('a')))
		if want := "larger than 4 MiB"; !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadGroup error = %v, want ErrInput containing %q", err, want)
		}
	})
}
