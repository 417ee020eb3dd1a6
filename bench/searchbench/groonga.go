package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"sori/bench/searchbench/brute"
)

// shape is how a corpus is laid out in Groonga: one record per paragraph
// (table Paragraphs: doc, part, text) or one record per file (table Files:
// doc, and text holding the file's paragraphs one a line), the way an
// archive of long interview transcripts would hold them.
type shape struct {
	name  string // "paragraph" or "file", as the -shape flag names it
	table string
}

var (
	perParagraph = shape{"paragraph", "Paragraphs"}
	perFile      = shape{"file", "Files"}
	shapes       = []shape{perParagraph, perFile}
)

func shapeNamed(name string) (shape, error) {
	for _, s := range shapes {
		if s.name == name {
			return s, nil
		}
	}
	return shape{}, fmt.Errorf("unknown shape %q (paragraph or file)", name)
}

// writeGroongaLoad writes the Groonga commands that build the peer index
// in shape sh: the table, loaded first, then the lexicon (TokenBigram +
// NormalizerNFKC130) and the index column, so that Groonga builds the
// index offline from the loaded column, its fastest way.
func writeGroongaLoad(w io.Writer, ps []brute.Paragraph, sh shape) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintf(bw, "table_create %s TABLE_NO_KEY\ncolumn_create %[1]s doc COLUMN_SCALAR ShortText\n", sh.table)
	if sh == perParagraph {
		fmt.Fprintf(bw, "column_create %s part COLUMN_SCALAR UInt32\n", sh.table)
	}
	fmt.Fprintf(bw, "column_create %s text COLUMN_SCALAR Text\nload --table %[1]s\n[\n", sh.table)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	type paraRec struct {
		Doc  string `json:"doc"`
		Part int    `json:"part"`
		Text string `json:"text"`
	}
	type fileRec struct {
		Doc  string `json:"doc"`
		Text string `json:"text"`
	}
	n := 0
	emit := func(v any) error {
		if n > 0 {
			bw.WriteString(",")
		}
		n++
		return enc.Encode(v)
	}
	for i := 0; i < len(ps); {
		if sh == perParagraph {
			if err := emit(paraRec{ps[i].Doc, ps[i].Part, ps[i].Text}); err != nil {
				return err
			}
			i++
			continue
		}
		// A file's paragraphs are consecutive in ps (brute.Load's order).
		var text strings.Builder
		j := i
		for ; j < len(ps) && ps[j].Doc == ps[i].Doc; j++ {
			if j > i {
				text.WriteByte('\n')
			}
			text.WriteString(ps[j].Text)
		}
		if text.Len() > 64<<10 {
			return fmt.Errorf("file %s is %d bytes, over the 64 KiB a Groonga Text column holds", ps[i].Doc, text.Len())
		}
		if err := emit(fileRec{ps[i].Doc, text.String()}); err != nil {
			return err
		}
		i = j
	}
	fmt.Fprintf(bw, `]
table_create Terms TABLE_PAT_KEY ShortText --default_tokenizer TokenBigram --normalizer NormalizerNFKC130
column_create Terms text_index COLUMN_INDEX|WITH_POSITION %s text
`, sh.table)
	return bw.Flush()
}

// groonga is a `groonga DB` process reading commands on standard input and
// answering each with one line of JSON.
type groonga struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func startGroonga(db string) (*groonga, error) {
	cmd := exec.Command("groonga", db)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &groonga{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}, nil
}

func (g *groonga) close() error {
	g.in.Close()
	return g.cmd.Wait()
}

// do sends one command and returns its response line, the client-side
// time from writing the command to having read the whole response, and
// the time Groonga reports it spent.
func (g *groonga) do(command string) (resp []byte, wall, self time.Duration, err error) {
	t0 := time.Now()
	if _, err := io.WriteString(g.in, command+"\n"); err != nil {
		return nil, 0, 0, err
	}
	resp, err = g.out.ReadBytes('\n')
	wall = time.Since(t0)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("groonga: %w", err)
	}
	var r []json.RawMessage
	var hdr []any
	if err := json.Unmarshal(resp, &r); err != nil || len(r) < 1 || json.Unmarshal(r[0], &hdr) != nil || len(hdr) < 3 {
		return nil, 0, 0, fmt.Errorf("groonga: unexpected response %.200q", resp)
	}
	if rc, _ := hdr[0].(float64); rc != 0 {
		return nil, 0, 0, fmt.Errorf("groonga: %s: %v", command, hdr)
	}
	el, _ := hdr[2].(float64)
	return resp, wall, time.Duration(el * float64(time.Second)), nil
}

// groongaQuote quotes s as a value of Groonga's command syntax.
func groongaQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// selectAll is the command that returns every matching record.
func selectAll(sh shape, q string) string {
	cols := "doc,part"
	if sh == perFile {
		cols = "doc"
	}
	return "select " + sh.table + " --match_columns text --query " + groongaQuote(q) +
		" --limit -1 --output_columns " + cols + " --cache no"
}

// selectTop is the interactive shape: the 20 best by score, with snippets.
func selectTop(sh shape, q string, limit int) string {
	cols := "doc,part,_score,snippet_html(text)"
	if sh == perFile {
		cols = "doc,_score,snippet_html(text)"
	}
	return "select " + sh.table + " --match_columns text --query " + groongaQuote(q) +
		fmt.Sprintf(" --limit %d --sort_keys -_score --output_columns '%s' --cache no", limit, cols)
}

type docPart struct {
	doc  string
	part int
}

// parseRows reads the (doc, part) rows of a select response (part 0 for
// a whole file).
func parseRows(resp []byte) ([]docPart, error) {
	var r []json.RawMessage
	if err := json.Unmarshal(resp, &r); err != nil || len(r) < 2 {
		return nil, fmt.Errorf("groonga: bad select response %.200q", resp)
	}
	var body [][]json.RawMessage
	if err := json.Unmarshal(r[1], &body); err != nil || len(body) < 1 || len(body[0]) < 2 {
		return nil, fmt.Errorf("groonga: bad select body %.200q", r[1])
	}
	rows := body[0][2:]
	out := make([]docPart, 0, len(rows))
	for _, row := range rows {
		var v []any
		if err := json.Unmarshal(row, &v); err != nil || len(v) < 1 {
			return nil, fmt.Errorf("groonga: bad row %s", row)
		}
		doc, _ := v[0].(string)
		var part float64 // 0: the whole file (shape file)
		if len(v) > 1 {
			part, _ = v[1].(float64)
		}
		out = append(out, docPart{doc, int(part)})
	}
	return out, nil
}
