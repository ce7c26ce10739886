// Command jobd-db_action is jobd's db_action plugin: it runs named SQL
// statements (database_tag:action_tag) against PostgreSQL, MySQL/MariaDB and
// SQLite. jobd starts it; see README.md for its configuration and input.
package main

import "github.com/jobd-dev/jobd/sdk"

func main() { sdk.Serve(&Plugin{}) }
