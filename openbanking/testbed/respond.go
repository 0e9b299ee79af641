package testbed

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// rspMessages maps the contract's response codes (§5) to their messages.
var rspMessages = map[string]string{
	"A0000": "",
	"A0002": "참가기관 에러",
	"A0003": "내부 처리 에러",
	"A0004": "요청전문 포맷 에러",
	"A0007": "처리시간 초과 에러",
	"A0008": "중복거래 에러",
	"A0013": "이용기관 서비스 사용 불가",
	"A0015": "시뮬레이션 응답전문 TIMEOUT",
	"A0018": "거래내역 없음",
	"A0304": "핀테크이용번호 정보 불일치",
	"A0305": "제3자정보제공동의 미완료",
	"O0001": "인증 파라미터 오류",
	"O0002": "Access Token 거부",
	"O0003": "Access Token 만료",
	"O0004": "API 접근권한이 없음",
	"O0006": "허용되지 않은 IP입니다",
	"O0007": "Routing 실패",
	"O0008": "사용량 한도 초과",
	"O0009": "사용량 한도 초과",
	"O0010": "허용되지 않은 http method 입니다",
	"O0011": "허용되지 않은 Scope 입니다.",
}

// bankRspMessages maps bank_rsp_code to its message.
var bankRspMessages = map[string]string{
	"000": "",
	"412": "해당계좌 없음",
	"415": "해약 계좌",
	"419": "사고신고계좌",
	"420": "거래중지 계좌",
	"499": "기타 처리불가",
	"551": "은행 점검시간",
	"999": "기타 에러",
}

// rspMessage returns the message of code; unknown codes (possible through
// fault injection) get a generic text.
func rspMessage(code string) string {
	if m, ok := rspMessages[code]; ok {
		return m
	}
	return "테스트베드 주입 오류"
}

func bankRspMessage(code string) string {
	if m, ok := bankRspMessages[code]; ok {
		return m
	}
	return "테스트베드 주입 오류"
}

// OAuth detail codes of O0001 (contract §2.3).
const (
	detailNoBearer        = "992"
	detailBadParameter    = "3000103"
	detailRedirectURI     = "3000114"
	detailScope           = "3000115"
	detailResponseType    = "3000116"
	detailClient          = "3000201"
	detailCodeUsedExpired = "3002110"
)

// oauthMessage returns the rsp_message of O0001 with a detail code.
func oauthMessage(detail string) string {
	return rspMessages["O0001"] + "([" + detail + "])"
}

// object is a JSON object that keeps its keys in insertion order, so
// responses read like the real service's.
type object struct {
	keys []string
	vals []any
}

func (o *object) set(key string, val any) *object {
	o.keys = append(o.keys, key)
	o.vals = append(o.vals, val)
	return o
}

// MarshalJSON implements json.Marshaler.
func (o *object) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, err := marshalNoEscape(k)
		if err != nil {
			return nil, err
		}
		buf.Write(kb)
		buf.WriteByte(':')
		vb, err := marshalNoEscape(o.vals[i])
		if err != nil {
			return nil, err
		}
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// rspObject returns {"rsp_code":code,"rsp_message":msg}.
func rspObject(code, msg string) *object {
	return new(object).set("rsp_code", code).set("rsp_message", msg)
}

// writeJSON writes v as the body of an HTTP 200 (or status) answer with
// the content type the real service uses.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := marshalNoEscape(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}
