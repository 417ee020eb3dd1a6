package evidence

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// Kind says what an item is.
type Kind string

// The kinds of item.
const (
	Transcript Kind = "transcript"
	Audio      Kind = "audio"
	Video      Kind = "video"
	Image      Kind = "image"
	Document   Kind = "document"
)

// Kinds lists every kind, in the order help texts show them.
var Kinds = []Kind{Transcript, Audio, Video, Image, Document}

// ParseKind accepts one of Kinds.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("%w: kind %q: want one of transcript, audio, video, image, document", ErrInvalid, s)
}

// KindFromName guesses a kind from a file name's extension. Plain text is
// taken as a transcript; anything unknown is a document.
func KindFromName(name string) Kind {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".txt", ".md", ".srt", ".vtt":
		return Transcript
	case ".mp3", ".wav", ".m4a", ".ogg", ".oga", ".opus", ".flac", ".aac", ".amr", ".wma":
		return Audio
	case ".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v", ".3gp", ".mpg", ".mpeg", ".wmv":
		return Video
	case ".jpg", ".jpeg", ".png", ".gif", ".tif", ".tiff", ".heic", ".webp", ".bmp":
		return Image
	}
	return Document
}

var langTag = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

// ParseLang accepts a BCP 47-shaped language tag ("ko", "en", "ko-KP") or
// the empty string (unknown).
func ParseLang(s string) (string, error) {
	if s == "" || langTag.MatchString(s) {
		return s, nil
	}
	return "", fmt.Errorf("%w: language %q: want a tag such as ko, en or ko-KP", ErrInvalid, s)
}
