/* SPDX-License-Identifier: MIT */

#include "exporter/exporter.h"

int main(int argc, char *argv[]) {
        return exporter_main(argc, argv);
}
