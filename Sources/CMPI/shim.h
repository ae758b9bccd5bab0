// Open MPI's C interface (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev), only with the MPI trait.
// MPI_COMM_WORLD, MPI_FLOAT, MPI_DOUBLE, MPI_SUM and MPI_IN_PLACE are macros over addresses of library globals,
// which Swift cannot import: these inline functions hand them over as values.
#include <mpi.h>

static inline MPI_Comm seqkit_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype seqkit_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype seqkit_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Op seqkit_mpi_sum(void) { return MPI_SUM; }
static inline void *seqkit_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline int seqkit_mpi_success(void) { return MPI_SUCCESS; }
