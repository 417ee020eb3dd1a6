// Command gencorpus writes the deterministic intake benchmark corpus:
// random binary files (stand-ins for audio, video and photos) and
// testimony-shaped text files mixing Korean and English. Everything is
// synthetic. Used by bench/intake.sh; not part of sori.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	out := flag.String("out", "", "directory to create (must not exist)")
	bins := flag.Int("bins", 48, "number of random binary files")
	binSize := flag.Int("bin-size", 4<<20, "bytes per binary file")
	texts := flag.Int("texts", 4000, "number of text files")
	textSize := flag.Int("text-size", 16000, "approximate bytes per text file")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *out == "" {
		log.Fatal("gencorpus: -out DIR is required")
	}
	if err := os.Mkdir(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(*seed, 0x5031))
	buf := make([]byte, *binSize)
	for i := range *bins {
		for j := 0; j < len(buf); j += 8 {
			v := rng.Uint64()
			for k := 0; k < 8 && j+k < len(buf); k++ {
				buf[j+k] = byte(v >> (8 * k))
			}
		}
		write(filepath.Join(*out, "media", fmt.Sprintf("rec-%03d.bin", i)), buf)
	}
	var sb strings.Builder
	for i := range *texts {
		sb.Reset()
		fmt.Fprintf(&sb, "Synthetic interview %d (invented)\n\n", i)
		for sb.Len() < *textSize {
			n := 6 + rng.IntN(14)
			for w := range n {
				if w > 0 {
					sb.WriteByte(' ')
				}
				if rng.IntN(2) == 0 {
					sb.WriteString(korean[rng.IntN(len(korean))])
				} else {
					sb.WriteString(english[rng.IntN(len(english))])
				}
			}
			sb.WriteString(".\n")
		}
		dir := fmt.Sprintf("transcripts/%02d", i/100)
		write(filepath.Join(*out, dir, fmt.Sprintf("t-%04d.txt", i)), []byte(sb.String()))
	}
}

func write(path string, b []byte) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		log.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.Write(b)
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

var korean = strings.Fields(`배급 식량 시장 장마당 국경 두만강 압록강 보위부 구류장 집결소 단련대 교화소 로동 노동 녀성 여성
가족 어머니 아버지 동생 무산 회령 혜산 청진 신의주 강제송환 조사 심문 증언 기억 겨울 봄 여름 가을 밤 새벽 군인 경비대
탈출 중국 브로커 연길 도문 훈춘 강 얼음 배고픔 옥수수 국수 감자 병원 학교 공장 광산 기차 역 마을 집 이웃 보안원`)

var english = strings.Fields(`ration food market border river guard detention interrogation camp labour family mother father
brother sister winter spring night morning soldier escape China broker ice hunger corn potato hospital school factory mine
train station village house neighbour security officer testimony remember crossed arrested released transferred`)
