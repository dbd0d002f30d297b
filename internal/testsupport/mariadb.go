package testsupport

import (
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // registers the "mysql" database/sql driver
)

// StartMariaDB starts a throwaway MariaDB server on 127.0.0.1 and returns a
// DSN for an empty database, or skips when MariaDB is not installed.
func StartMariaDB(t *testing.T) string {
	t.Helper()
	if dsn := os.Getenv("SKIMWATCH_TEST_MYSQL"); dsn != "" {
		return dsn
	}
	install, err1 := exec.LookPath("mariadb-install-db")
	server, err2 := exec.LookPath("mariadbd")
	if err2 != nil {
		if p := "/usr/sbin/mariadbd"; fileExists(p) {
			server, err2 = p, nil
		}
	}
	if err := errors.Join(err1, err2); err != nil {
		Need(t, "MariaDB", fmt.Errorf("install mariadb-server or set SKIMWATCH_TEST_MYSQL: %w", err))
	}
	dir, err := os.MkdirTemp("", "skimwatch-mariadb-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	user := []string{}
	if os.Geteuid() == 0 {
		user = []string{"--user=root"}
	}
	out, err := exec.Command(install, append([]string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal", "--skip-test-db"}, user...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	sock := filepath.Join(dir, "sock")
	cmd := exec.Command(server, append([]string{"--no-defaults", "--datadir=" + data, "--socket=" + sock,
		fmt.Sprintf("--port=%d", port), "--bind-address=127.0.0.1", "--skip-name-resolve",
		"--innodb-buffer-pool-size=32M", "--log-error=" + filepath.Join(dir, "log")}, user...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	dsn := fmt.Sprintf("mysql://root@tcp(127.0.0.1:%d)/", port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		db, _ := sql.Open("mysql", fmt.Sprintf("root@tcp(127.0.0.1:%d)/", port))
		err := db.Ping()
		if err == nil {
			_, err = db.Exec("CREATE DATABASE shop")
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			return dsn + "shop"
		}
		db.Close()
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			t.Fatalf("MariaDB did not start: %v\n%s", err, log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
