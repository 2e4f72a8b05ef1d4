#!/bin/sh
# Install Panggung from this tarball: for this user (default, into ~/.local)
# or for everyone (as root: ./install.sh /usr/local).
#
#   ./install.sh [PREFIX]
#
# Puts the app in PREFIX/lib/panggung, a `panggung` command in PREFIX/bin,
# the menu entry (which also opens panggung:// invite links), the AppStream
# file and the icons under PREFIX/share. To uninstall, delete those.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=${1:-"$HOME/.local"}

mkdir -p "$prefix/lib" "$prefix/bin" "$prefix/share/applications" "$prefix/share/metainfo" "$prefix/share/icons"
rm -rf "$prefix/lib/panggung"
cp -R "$here/panggung" "$prefix/lib/panggung"
ln -sf "$prefix/lib/panggung/panggung" "$prefix/bin/panggung"
sed -e "s|^Exec=panggung |Exec=\"$prefix/bin/panggung\" |" \
    -e "s|^TryExec=panggung\$|TryExec=$prefix/bin/panggung|" \
    "$here/share/applications/panggung.desktop" >"$prefix/share/applications/panggung.desktop"
cp "$here"/share/metainfo/*.metainfo.xml "$prefix/share/metainfo/"
cp -R "$here/share/icons/hicolor" "$prefix/share/icons/"

# Refresh the menus and the icon cache, and make Panggung open panggung:// links.
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$prefix/share/applications" || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -t "$prefix/share/icons/hicolor" || true
fi
if [ "$(id -u)" -ne 0 ] && command -v xdg-mime >/dev/null 2>&1; then
    xdg-mime default panggung.desktop x-scheme-handler/panggung || true
fi
echo "Panggung installed in $prefix (run: $prefix/bin/panggung)"
