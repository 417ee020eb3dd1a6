package mem_test

import (
	"testing"

	"sori/internal/blob"
	"sori/internal/blob/blobtest"
	"sori/internal/blob/mem"
)

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(*testing.T) blob.Store { return mem.New() })
}
