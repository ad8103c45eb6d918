# Configures rbm.pc (pkg-config: cc prog.c $(pkg-config --cflags --libs rbm)) and installs it to
# LIBDIR/pkgconfig. Paths are written relative to the file's own folder (${pcfiledir}), so the
# file names the prefix given at install time (cmake --install --prefix P), not the one given
# at configure time.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(RBM_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH rbm_pc_up "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
  string(REGEX REPLACE "/$" "" rbm_pc_up "${rbm_pc_up}")
  set(RBM_PC_PREFIX "\${pcfiledir}/${rbm_pc_up}")
endif()
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(RBM_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(RBM_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
# What a static librbm needs besides itself (pkg-config --static); a shared one links them.
set(rbm_pc_private ${BLAS_LIBRARIES} ${ZLIB_LIBRARIES} ${PNG_LIBRARIES} ${RBM_PLPLOT_LINK_LIBRARIES})
if(RBM_CUDA_ENABLED)
  list(APPEND rbm_pc_private "-L${CUDAToolkit_LIBRARY_DIR}" -lcudart -lcublas -lcurand)
endif()
list(APPEND rbm_pc_private -lstdc++ -lm -pthread)
list(JOIN rbm_pc_private " " RBM_PC_LIBS_PRIVATE)
configure_file(${PROJECT_SOURCE_DIR}/cmake/rbm.pc.in ${PROJECT_BINARY_DIR}/rbm.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/rbm.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
