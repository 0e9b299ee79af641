package statement

import "strings"

// Profile describes one bank's transaction history export as best known.
// Reading does not depend on a profile being exact: its header names are
// recognised by the generic names as well, and a profile only names the
// bank, says whether its single amount column is signed, and documents the
// layout for treasurers.
type Profile struct {
	// Name is the value for Options.Bank and Statement.Bank.
	Name string
	// Display is the bank's Korean name.
	Display string
	// Formats are the file formats the bank's download gives ("xlsx",
	// "csv", "html" for an HTML-table .xls), as best known.
	Formats []string
	// Encrypted reports whether the downloaded workbook asks for a
	// password.
	Encrypted bool
	// Password says what the password is, in Korean for the treasurer, or ""
	// when the file is not encrypted.
	Password string
	// Encoding is the text encoding of a CSV or HTML download ("UTF-8",
	// "CP949"), or "" for a workbook.
	Encoding string
	// Header is the header row as the bank writes it, in order.
	Header []string
	// Layout describes the rest: the preamble, the date format, the sign
	// convention, the order of the rows, which column holds the payer.
	Layout string
	// Basis says what the profile is based on and how sure it is.
	Basis string

	// distinct are the normalised header names that must all be present for
	// the profile to be detected.
	distinct []string
	// words are normalised words (the bank's names) looked for in the
	// preamble, sheet names, HTML title and file name to tell apart
	// profiles whose headers both match.
	words []string
	// signed reports that the single amount column carries the direction
	// as its sign (출금 negative), even in a file without a withdrawal.
	signed bool
}

// genericName is Statement.Bank when no profile matched.
const genericName = "generic"

// kakaobank is KakaoBank's 거래내역 엑셀 (app: 계좌 > 거래내역 > 내보내기).
// Based on public parsers written against real downloads (the sheet is
// named "카카오뱅크 거래내역", column A is empty, a title in B2, 성명 and
// 조회기간 in row 4, a masked 계좌번호 and 요청일시 in row 5, notes in rows
// 7-9 including "※ 금액앞에 '-' 표시는 출금 금액입니다.", the header in row
// 11) and on app screenshots described in blog posts. Fairly sure of the
// columns and the sign; the password (birth date) is from user reports.
var kakaobank = Profile{
	Name:      "kakaobank",
	Display:   "카카오뱅크",
	Formats:   []string{"xlsx"},
	Encrypted: true,
	Password:  "생년월일 6자리 (YYMMDD)",
	Header:    []string{"거래일시", "구분", "거래금액", "거래 후 잔액", "거래구분", "내용", "메모"},
	Layout: "A title row, 성명/조회기간 and 계좌번호/요청일시 key-value rows and notes above the header in row 11, " +
		"starting in column B. 거래일시 is \"2026.11.24 19:03:11\"; 구분 is 입금 or 출금; 거래금액 is negative for 출금; " +
		"거래구분 is the kind (일반입금, 일반이체, 체크카드결제, 예금이자); 내용 is the payer or payee; 메모 is the owner's memo.",
	Basis:    "public parsers of real downloads and blog screenshots (2023-2026); columns fairly sure, password from user reports",
	distinct: []string{"거래일시", "구분", "거래금액", "거래후잔액", "거래구분", "내용"},
	words:    []string{"카카오뱅크", "kakaobank", "카뱅"},
	signed:   true,
}

// toss is Toss Bank's 거래내역 엑셀 (app: 통장 > 거래내역 > 내보내기,
// sent by e-mail or saved). Based on a public parser and its tests written
// against a real download (metadata rows with 성명, 계좌번호 and 조회기간
// and a "토스뱅크 거래내역" title above the header in row 8; an encrypted
// workbook whose test password is a birth date). Fairly sure of the
// columns; the encryption and password come from that project.
var toss = Profile{
	Name:      "toss",
	Display:   "토스뱅크",
	Formats:   []string{"xlsx"},
	Encrypted: true,
	Password:  "생년월일 6자리 (YYMMDD)",
	Header:    []string{"거래 일시", "적요", "거래 유형", "거래 기관", "계좌번호", "거래 금액", "거래 후 잔액", "메모"},
	Layout: "About seven metadata rows (title, 성명, 계좌번호, 조회기간) above the header. 거래 일시 is " +
		"\"2026.11.24 19:03:11\"; 적요 is the counterparty's name as the bank prints it; 거래 유형 is the kind " +
		"(입금, 출금, 체크카드결제, 이자입금, 내계좌간자동이체); 거래 금액 is negative for money out; 거래 기관 and " +
		"계좌번호 are the counterparty's bank and account.",
	Basis:    "a public parser and tests built on a real download; columns fairly sure, password from that project's tests",
	distinct: []string{"거래일시", "적요", "거래유형", "거래기관", "거래금액"},
	words:    []string{"토스뱅크", "tossbank", "토스"},
	signed:   true,
}

// kb is KB국민은행's 거래내역조회 "엑셀저장" on the internet banking site,
// an .xls that is really an HTML table. Based on a public parser of the
// download (columns 거래일시, 적요, 보낸분/받는분, 송금메모, 출금액, 입금액,
// 잔액, 거래점, 구분; dates "2026.11.24 19:03:11") and a project README
// saying the export is HTML inside .xls. Moderately sure of the columns;
// the charset (EUC-KR) and the preamble are assumptions.
var kb = Profile{
	Name:     "kb",
	Display:  "KB국민은행",
	Formats:  []string{"html"},
	Encoding: "CP949",
	Header:   []string{"거래일시", "적요", "보낸분/받는분", "송금메모", "출금액", "입금액", "잔액", "거래점", "구분"},
	Layout: "An HTML table saved with an .xls name, probably EUC-KR with a <meta> charset, with the account and " +
		"period above the table. 거래일시 is \"2026.11.24 19:03:11\"; 적요 is the kind (전자금융, 모바일, 체크카드); " +
		"보낸분/받는분 is the counterparty; 출금액 and 입금액 are separate columns, 0 in the unused one.",
	Basis:    "a public parser of the download and a README on its HTML format; columns moderately sure, charset assumed",
	distinct: []string{"거래일시", "보낸분/받는분", "송금메모", "출금액", "입금액"},
	words:    []string{"국민은행", "kb국민", "kbstar", "국민"},
}

// shinhan is 신한은행's 거래내역조회 download (SOL app or internet banking
// "엑셀 다운로드"). Based on a public statement parser's description of the
// columns (거래일자, 거래시간, 적요, 출금, 입금, 내용, 잔액, 거래점; the date
// "2026-11-24" and time "19:03:11" in two columns) and common header
// spellings with "(원)". Not sure: no real download was seen; the layout
// is an assumption.
var shinhan = Profile{
	Name:    "shinhan",
	Display: "신한은행",
	Formats: []string{"xlsx"},
	Header:  []string{"거래일자", "거래시간", "적요", "출금(원)", "입금(원)", "내용", "잔액(원)", "거래점"},
	Layout: "Date and time in two columns (\"2026-11-24\", \"19:03:11\"); 적요 is the kind (모바일, 타행이체); 내용 is the " +
		"counterparty; 출금(원) and 입금(원) are separate columns; newest first.",
	Basis:    "a public parser's column list; not verified against a real download",
	distinct: []string{"거래일자", "거래시간", "적요", "출금", "입금", "내용", "거래점"},
	words:    []string{"신한은행", "신한", "shinhan"},
}

// woori is 우리은행's 거래내역조회 download (WON뱅킹 or the website). Based
// on a public statement parser's column list (No., 거래일시, 적요, 기재내용,
// 찾으신금액, 맡기신금액, 거래후잔액, 취급기관, 메모; dates "2026.11.24
// 19:03") and a public tool that reads the website's .xls. Moderately
// sure of the column names; the file format is not known (the fixture is
// an .xlsx as Excel saves it, with real date cells).
var woori = Profile{
	Name:    "woori",
	Display: "우리은행",
	Formats: []string{"xlsx"},
	Header:  []string{"No.", "거래일시", "적요", "기재내용", "찾으신금액", "맡기신금액", "거래후잔액", "취급기관", "메모"},
	Layout: "거래일시 is \"2026.11.24 19:03\" (or a real date cell); 적요 is the kind (모바일, 타행건별, F/B); 기재내용 is " +
		"the counterparty; 찾으신금액 is money out and 맡기신금액 money in; oldest first.",
	Basis:    "a public parser's column list and a public tool reading the download; names moderately sure, format unknown",
	distinct: []string{"거래일시", "기재내용", "찾으신금액", "맡기신금액"},
	words:    []string{"우리은행", "woori", "우리"},
}

// hana is 하나은행's 거래내역조회 download (하나원큐 or the website). Based
// on a public parser of the Excel download (columns 거래일시, 적요,
// 의뢰인/수취인, 입금, 출금, 거래후잔액, 구분, 거래점, 비고). Moderately sure
// of the columns; 구분 there is a kind of transaction, not the direction.
var hana = Profile{
	Name:    "hana",
	Display: "하나은행",
	Formats: []string{"xlsx"},
	Header:  []string{"거래일시", "적요", "의뢰인/수취인", "입금", "출금", "거래후잔액", "구분", "거래점", "비고"},
	Layout: "거래일시 is \"2026-11-24 19:03\"; 적요 is the kind; 의뢰인/수취인 is the counterparty; 입금 and 출금 are " +
		"separate columns; 구분 is a kind of transaction (대체, 타행), not the direction; newest first.",
	Basis:    "a public parser of the Excel download; columns moderately sure",
	distinct: []string{"거래일시", "의뢰인/수취인", "입금", "출금"},
	words:    []string{"하나은행", "hana", "하나"},
}

// nh is NH농협은행's 거래내역조회 download. Based on two public parsers
// (columns 순번 or 번호, 거래일시, 출금금액, 입금금액, 거래후잔액, 거래내용,
// 거래기록사항, 거래점, 이체메모; dates "2026/11/24 19:03:11"; one of them
// reads it as CSV). Moderately sure of the columns; the CSV encoding (CP949,
// as Korean Windows writes it) is an assumption.
var nh = Profile{
	Name:     "nh",
	Display:  "NH농협은행",
	Formats:  []string{"csv"},
	Encoding: "CP949",
	Header:   []string{"순번", "거래일시", "출금금액", "입금금액", "거래후잔액", "거래내용", "거래기록사항", "거래점", "이체메모"},
	Layout: "거래일시 is \"2026/11/24 19:03:11\"; 거래내용 is the kind (타행이체, 모바일); 거래기록사항 is the counterparty; " +
		"출금금액 and 입금금액 are separate columns; newest first.",
	Basis:    "two public parsers' column lists; columns moderately sure, encoding assumed",
	distinct: []string{"거래일시", "출금금액", "입금금액", "거래기록사항"},
	words:    []string{"농협", "nh농협", "nonghyup"},
}

// ibk is IBK기업은행's 거래내역조회 download. Based on a public statement
// parser's column list (거래일시, 출금, 입금, 거래후 잔액, 거래내용,
// 상대계좌번호, 상대은행, 메모, 거래구분, 상대계좌예금주명; dates
// "2026-11-24 19:03:11"). Not sure: no real download was seen; the format
// (a UTF-8 CSV with a byte-order mark) is an assumption.
var ibk = Profile{
	Name:     "ibk",
	Display:  "IBK기업은행",
	Formats:  []string{"csv"},
	Encoding: "UTF-8",
	Header:   []string{"순번", "거래일시", "출금", "입금", "거래후 잔액", "거래내용", "상대계좌번호", "상대은행", "메모", "거래구분", "상대계좌예금주명"},
	Layout: "거래일시 is \"2026-11-24 19:03:11\"; 출금 and 입금 are separate columns; 거래내용 is the description; " +
		"상대계좌예금주명 is the counterparty's name; newest first.",
	Basis:    "a public parser's column list; not verified against a real download, format assumed",
	distinct: []string{"거래일시", "상대계좌예금주명", "출금", "입금"},
	words:    []string{"기업은행", "ibk"},
}

// kbank is 케이뱅크's 거래내역 download. Based on a public statement
// parser's column list (거래일시, 거래구분, 입금금액, 출금금액, 잔액, 상대
// 예금주명, 상대 은행, 적요내용; dates "2026.11.24 19:03:11"). Not sure: no
// real download was seen; the format is an assumption.
var kbank = Profile{
	Name:    "kbank",
	Display: "케이뱅크",
	Formats: []string{"xlsx"},
	Header:  []string{"거래일시", "거래구분", "입금금액", "출금금액", "잔액", "상대 예금주명", "상대 은행", "적요내용"},
	Layout: "거래일시 is \"2026.11.24 19:03:11\"; 거래구분 is the kind (체크결제, 이체); 입금금액 and 출금금액 are separate " +
		"columns, 0 in the unused one; 상대 예금주명 is the counterparty.",
	Basis:    "a public parser's column list; not verified against a real download, format assumed",
	distinct: []string{"거래일시", "입금금액", "출금금액", "상대예금주명"},
	words:    []string{"케이뱅크", "k뱅크", "kbank"},
}

// generic is the fallback: no profile matched, and the columns are found
// by the generic names alone.
var generic = Profile{
	Name:    genericName,
	Display: "기타 은행",
	Formats: []string{"xlsx", "csv", "html"},
	Layout: "Any layout whose header names a date, an amount (입금 and 출금, or 거래금액 with 구분 or a sign) and a " +
		"payer text, with a preamble of at most 29 rows.",
	Basis: "the generic column names",
}

// profiles are the built-in bank profiles, in the order Profiles returns
// them.
var profiles = []*Profile{&kakaobank, &toss, &kb, &shinhan, &woori, &hana, &nh, &ibk, &kbank}

// Profiles returns the built-in bank profiles (copies; changing them does
// not change Read).
func Profiles() []Profile {
	out := make([]Profile, 0, len(profiles))
	for _, p := range profiles {
		c := *p
		c.Formats = append([]string(nil), p.Formats...)
		c.Header = append([]string(nil), p.Header...)
		out = append(out, c)
	}
	return out
}

func profileByName(name string) (*Profile, bool) {
	if name == genericName {
		return &generic, true
	}
	for _, p := range profiles {
		if p.Name == name {
			return p, true
		}
	}
	return nil, false
}

func profileNames() []string {
	var out []string
	for _, p := range profiles {
		out = append(out, p.Name)
	}
	return append(out, genericName)
}

// detectProfile picks the profile whose distinctive header names are all
// in header (normalised names). When several are, the one whose bank name
// appears in hints (normalised preamble text, sheet names, title, file
// name) wins, then the one matching more of its header; a tie is generic.
func detectProfile(header map[string]bool, hints string) *Profile {
	var cands []*Profile
	for _, p := range profiles {
		all := true
		for _, d := range p.distinct {
			if !header[d] {
				all = false
				break
			}
		}
		if all {
			cands = append(cands, p)
		}
	}
	if len(cands) == 0 {
		return &generic
	}
	if len(cands) > 1 {
		var named []*Profile
		for _, p := range cands {
			for _, w := range p.words {
				if strings.Contains(hints, w) {
					named = append(named, p)
					break
				}
			}
		}
		if len(named) > 0 {
			cands = named
		}
	}
	best, bestN, tie := cands[0], -1, false
	for _, p := range cands {
		n := 0
		for _, h := range p.Header {
			if header[normName(h)] {
				n++
			}
		}
		switch {
		case n > bestN:
			best, bestN, tie = p, n, false
		case n == bestN:
			tie = true
		}
	}
	if tie {
		return &generic
	}
	return best
}
