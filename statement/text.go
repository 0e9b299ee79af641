package statement

import (
	"bytes"
	"unicode/utf8"

	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/unicode"
)

// decodeText returns a CSV or HTML file's text. A UTF-8 byte-order mark is
// dropped; a UTF-16 one (Excel's "Unicode text") decodes UTF-16; valid UTF-8
// is taken as is; anything else is decoded as CP949, the superset of EUC-KR
// that Korean Windows and bank systems write. The validity test decides
// rather than an HTML <meta charset>: a page saved again by a browser is
// UTF-8 whatever its meta says, and CP949 Hangul is practically never valid
// UTF-8.
func decodeText(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte("\xef\xbb\xbf")):
		data = data[3:]
	case bytes.HasPrefix(data, []byte("\xff\xfe")), bytes.HasPrefix(data, []byte("\xfe\xff")):
		out, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil {
			return "", formatErr("the file starts like UTF-16 text but is not")
		}
		return string(out), nil
	}
	if utf8.Valid(data) {
		if bytes.IndexByte(data[:min(len(data), 4096)], 0) >= 0 {
			return "", formatErr("this is not an Excel, CSV or HTML file")
		}
		return string(data), nil
	}
	if bytes.IndexByte(data[:min(len(data), 4096)], 0) >= 0 {
		return "", formatErr("this is not an Excel, CSV or HTML file")
	}
	out, err := korean.EUCKR.NewDecoder().Bytes(data)
	if err != nil {
		return "", formatErr("the text is neither UTF-8 nor CP949 (EUC-KR)")
	}
	return string(out), nil
}
