# Sourced by the bench scripts: nginx answering `return 200` on 127.0.0.1:PORT, with two
# workers and no logging, its files under DIR. Prints nginx's master PID.
#
#   nginx_pid=$(start_nginx PORT DIR)
start_nginx() {
    local port=$1 dir=$2
    mkdir -p "$dir/logs"
    cat >"$dir/nginx.conf" <<CONF
worker_processes 2;
error_log $dir/logs/error.log;
pid $dir/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir;
    client_max_body_size 16m;
    server {
        listen 127.0.0.1:$port reuseport;
        location / { return 200; }
    }
}
CONF
    # Its output away from the caller's $(...), which would otherwise wait for nginx to exit.
    nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >/dev/null 2>&1 &
    echo $!
}
