#include "verbs.h"

int main(int argc, char *argv[]) {
        return berth_main(argc, argv);
}
