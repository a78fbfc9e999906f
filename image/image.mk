# image/image.mk: the appliance image, the User-Mode Linux lab, the demo.
# Included by the top-level Makefile (include image/image.mk); BUILD comes
# from there. docs/lab.md, docs/demo.md, image/README.md.
#
#   make image          lab image + bootable disk + Vagrant box (cached)
#   make image-lab      only the UML lab image (what the lab and demo boot)
#   make demo           installs what it needs, then the two-node failover demo
#   make check-lab      test tier "lab" (writes $(BUILD)/results/lab)
#   make lab-up / lab-status / lab-down    the lab by hand (tests/lab/lab)
#   make check-vagrant  vagrant validate (libvirt provider configuration)
# Cache: $(TANDEM_CACHE), default /var/cache/tandem (never in the tree).

.PHONY: image image-lab image-disk image-box deps-image demo check-lab \
        lab-up lab-down lab-status check-vagrant

deps-image:
	@bash tests/lib/deps.sh

image: deps-image
	bash image/build.sh all
image-lab: deps-image
	bash image/build.sh lab
image-disk: deps-image
	bash image/build.sh disk
image-box: deps-image
	bash image/build.sh box

# A fresh machine: every dependency, the image's and the lab's included
# (tests/lib/deps.sh); the image is cached; the lab is torn down at
# the end. Exit 0 only when the data was verified after the failover.
demo:
	@bash tests/lib/deps.sh
	@bash tests/lab/demo.sh

check-lab:
	@bash tests/lab/run.sh $(BUILD)

check-vagrant:
	VAGRANT_DEFAULT_PROVIDER=libvirt vagrant validate

lab-up:
	@bash tests/lab/lab up
lab-status:
	@bash tests/lab/lab status
lab-down:
	@bash tests/lab/lab down
