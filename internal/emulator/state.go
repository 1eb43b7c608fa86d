package emulator

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// stateFormat is the version of the state file layout.
const stateFormat = 1

// stateFile is the persisted form of the store.
type stateFile struct {
	Format         int                        `json:"format"`
	InstallationID string                     `json:"installationId"`
	Counters       map[string]int             `json:"counters"`
	Seq            int                        `json:"seq"`
	Check          string                     `json:"check"` // encrypts a known text: detects a different key
	Kinds          map[string][]stateDocument `json:"kinds"`
}

type stateDocument struct {
	Space string          `json:"space,omitempty"`
	Seq   int             `json:"seq"`
	Doc   json.RawMessage `json:"doc"`
	// Secrets is the record's secrets, JSON-encoded and sealed with AES-GCM:
	// secrets never appear in written files in the clear.
	Secrets string `json:"secrets,omitempty"`
}

const stateCheckText = "octofleet-emulator"

// stateKey derives the state-file encryption key from the admin API key, the
// way the real server keeps a master key apart from its database.
func stateKey(apiKey string) []byte {
	sum := sha256.Sum256([]byte("octofleet emulator state\x00" + apiKey))
	return sum[:]
}

func (s *Server) seal(plain []byte) (string, error) {
	block, err := aes.NewCipher(s.secretKey)
	if err != nil {
		return "", err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(gcm.Seal(nonce, nonce, plain, nil)), nil
}

func (s *Server) open(sealed string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(s.secretKey)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if len(raw) < gcm.NonceSize() {
		return nil, errors.New("sealed value too short")
	}
	return gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], nil)
}

// save writes the whole state to StatePath atomically: a temporary file in
// the same directory, synced, then renamed over the old one, so a crash at
// any point leaves either the old or the new state. Expects s.mu held.
func (s *Server) save() error {
	path := s.opts.StatePath
	if path == "" {
		return nil
	}
	check, err := s.seal([]byte(stateCheckText))
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	sf := stateFile{
		Format:         stateFormat,
		InstallationID: s.installationID,
		Counters:       s.st.counters,
		Seq:            s.st.seq,
		Check:          check,
		Kinds:          map[string][]stateDocument{},
	}
	names := make([]string, 0, len(s.st.tables))
	for name := range s.st.tables {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		docs := []stateDocument{}
		for _, rec := range s.st.all(name) {
			raw, err := json.Marshal(rec.doc)
			if err != nil {
				return fmt.Errorf("save state: encode %s %s: %w", name, str(rec.doc, "Id"), err)
			}
			sd := stateDocument{Space: rec.space, Seq: rec.seq, Doc: raw}
			if len(rec.secrets) > 0 {
				plain, err := json.Marshal(rec.secrets)
				if err != nil {
					return fmt.Errorf("save state: encode secrets of %s: %w", str(rec.doc, "Id"), err)
				}
				if sd.Secrets, err = s.seal(plain); err != nil {
					return fmt.Errorf("save state: seal secrets of %s: %w", str(rec.doc, "Id"), err)
				}
			}
			docs = append(docs, sd)
		}
		sf.Kinds[name] = docs
	}
	data, err := json.Marshal(sf)
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return writeFileAtomic(path, data)
}

// writeFileAtomic replaces path with data via a synced temporary file and a
// rename. The file is private to the user: it describes the whole instance.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, os.Remove(tmp.Name()))
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return errors.Join(fmt.Errorf("save state: %w", err), tmp.Close())
	}
	if err := tmp.Sync(); err != nil {
		return errors.Join(fmt.Errorf("save state: %w", err), tmp.Close())
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

// load reads StatePath into the store; it reports false when there is no
// file yet. Expects s.mu held.
func (s *Server) load() (bool, error) {
	path := s.opts.StatePath
	if path == "" {
		return false, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load state: %w", err)
	}
	var sf stateFile
	if err := json.Unmarshal(data, &sf); err != nil {
		return false, fmt.Errorf("load state %s: %w", path, err)
	}
	if sf.Format != stateFormat {
		return false, fmt.Errorf("load state %s: format %d, want %d", path, sf.Format, stateFormat)
	}
	if check, err := s.open(sf.Check); err != nil || string(check) != stateCheckText {
		return false, fmt.Errorf("load state %s: it was written with another admin API key; its secrets cannot be read", path)
	}
	st := newStore()
	st.seq = sf.Seq
	for p, n := range sf.Counters {
		st.counters[p] = n
	}
	for name, docs := range sf.Kinds {
		for _, sd := range docs {
			dec := json.NewDecoder(bytes.NewReader(sd.Doc))
			dec.UseNumber()
			var d Doc
			if err := dec.Decode(&d); err != nil {
				return false, fmt.Errorf("load state %s: %s document: %w", path, name, err)
			}
			rec := &record{space: sd.Space, doc: d, seq: sd.Seq}
			if sd.Secrets != "" {
				plain, err := s.open(sd.Secrets)
				if err != nil {
					return false, fmt.Errorf("load state %s: secrets of %s: %w", path, str(d, "Id"), err)
				}
				dec := json.NewDecoder(bytes.NewReader(plain))
				dec.UseNumber()
				if err := dec.Decode(&rec.secrets); err != nil {
					return false, fmt.Errorf("load state %s: secrets of %s: %w", path, str(d, "Id"), err)
				}
			}
			st.put(name, rec)
		}
	}
	s.st = st
	s.installationID = sf.InstallationID
	s.reindexKeys()
	return true, nil
}

// reindexKeys rebuilds the API key index from the stored keys.
func (s *Server) reindexKeys() {
	s.keyIndex = map[string]string{}
	for _, rec := range s.st.all(apiKeysKind.Name) {
		if h, ok := rec.secrets["ApiKey"].(string); ok {
			s.keyIndex[h] = str(rec.doc, "Id")
		}
	}
}
