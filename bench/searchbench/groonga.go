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

// writeGroongaLoad writes the Groonga commands that build the peer index:
// a table with one record per paragraph (doc, part, text), loaded first,
// then the lexicon (TokenBigram + NormalizerNFKC130) and the index column,
// so that Groonga builds the index offline from the loaded column, its
// fastest way.
func writeGroongaLoad(w io.Writer, ps []brute.Paragraph) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprint(bw, `table_create Paragraphs TABLE_NO_KEY
column_create Paragraphs doc COLUMN_SCALAR ShortText
column_create Paragraphs part COLUMN_SCALAR UInt32
column_create Paragraphs text COLUMN_SCALAR Text
load --table Paragraphs
[
`)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	type rec struct {
		Doc  string `json:"doc"`
		Part int    `json:"part"`
		Text string `json:"text"`
	}
	for i, p := range ps {
		if i > 0 {
			bw.WriteString(",")
		}
		if err := enc.Encode(rec{p.Doc, p.Part, p.Text}); err != nil {
			return err
		}
	}
	fmt.Fprint(bw, `]
table_create Terms TABLE_PAT_KEY ShortText --default_tokenizer TokenBigram --normalizer NormalizerNFKC130
column_create Terms text_index COLUMN_INDEX|WITH_POSITION Paragraphs text
`)
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

// selectAll is the command that returns every matching paragraph.
func selectAll(q string) string {
	return "select Paragraphs --match_columns text --query " + groongaQuote(q) +
		" --limit -1 --output_columns doc,part --cache no"
}

// selectTop is the interactive shape: the 20 best by score, with snippets.
func selectTop(q string, limit int) string {
	return "select Paragraphs --match_columns text --query " + groongaQuote(q) +
		fmt.Sprintf(" --limit %d --sort_keys -_score --output_columns 'doc,part,_score,snippet_html(text)' --cache no", limit)
}

type docPart struct {
	doc  string
	part int
}

// parseRows reads the (doc, part) rows of a select response.
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
		if err := json.Unmarshal(row, &v); err != nil || len(v) < 2 {
			return nil, fmt.Errorf("groonga: bad row %s", row)
		}
		doc, _ := v[0].(string)
		part, _ := v[1].(float64)
		out = append(out, docPart{doc, int(part)})
	}
	return out, nil
}
