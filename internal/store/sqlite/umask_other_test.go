//go:build !unix

package sqlite

func setUmask(m int) int { return m }
